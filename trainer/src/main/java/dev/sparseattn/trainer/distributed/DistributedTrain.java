package dev.sparseattn.trainer.distributed;

import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValueFactory;
import dev.sparseattn.datasets.config.Cli;
import dev.sparseattn.datasets.fs.HadoopPaths;
import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.trainer.checkpoint.CheckpointStore;
import dev.sparseattn.trainer.io.ModelDirectory;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.report.LossCurve;
import dev.sparseattn.trainer.report.MetricsLog;
import dev.sparseattn.trainer.train.TrainConfig;
import dev.sparseattn.trainer.train.TrainedModel;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.OutputStream;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * The {@code distributed-train} job: trains the transformer language model across a Spark cluster
 * with synchronous parameter averaging ({@link ParameterAveragingTrainer}) and saves into
 * {@code train.output} what {@code Train} saves: {@code model.zip}, {@code tokenizer.json},
 * {@code train.conf} (the resolved {@code train} and {@code distributed} sections), {@code metrics.jsonl}
 * (one line per round and per validation), {@code loss.png} and {@code summary.json}.
 *
 * <p>Usage: {@code DistributedTrain <config-file> [key=value ...]}, e.g. with spark-submit:
 * {@code spark-submit --class dev.sparseattn.trainer.distributed.DistributedTrain app.jar conf.conf
 * distributed.workers=4}. {@code distributed.spark.master} is used only when no master is set.
 */
public final class DistributedTrain {
  private DistributedTrain() {}

  public static void main(String[] args) {
    Cli.main("distributed-train", args, DistributedConfig::parse, DistributedTrain::run);
  }

  /** Runs the job, starting Spark (or joining the running session) and stopping it if it started it. */
  public static TrainedModel run(DistributedConfig config) throws Exception {
    boolean running = SparkSession.getActiveSession().isDefined() || SparkSession.getDefaultSession().isDefined();
    SparkSession.Builder builder = SparkSession.builder().appName(config.appName());
    if (!new SparkConf().contains("spark.master")) {
      builder.master(config.master());
    }
    SparkSession spark = builder.getOrCreate();
    try {
      return run(config, JavaSparkContext.fromSparkContext(spark.sparkContext()));
    } finally {
      if (!running) {
        spark.stop();
      }
    }
  }

  /** Runs the job on an existing Spark context (tests, notebooks); the context is left running. */
  public static TrainedModel run(DistributedConfig config, JavaSparkContext sc) throws Exception {
    TrainConfig train = config.train();
    Configuration hadoop = sc.hadoopConfiguration();
    PreparedDataset data = PreparedDataset.open(HadoopPaths.resolve(train.data()), hadoop);
    String output = HadoopPaths.resolve(train.output());
    ModelDirectory out = train.resume()
        ? ModelDirectory.reuse(output, hadoop)
        : ModelDirectory.create(output, train.overwrite(), hadoop);
    System.out.printf("distributed-train: data %s -> %s (Spark master %s)%n", data.dir(), out.path(), sc.master());
    Map<String, Object> resolved = new LinkedHashMap<>();
    resolved.put("train", train.resolved().values());
    resolved.put("distributed", config.resolved().values());
    out.writeText("train.conf", ConfigValueFactory.fromMap(resolved)
        .render(ConfigRenderOptions.defaults().setOriginComments(false).setJson(false)));
    CheckpointStore checkpoints = train.checkpoint().enabled()
        ? new CheckpointStore(train.checkpoint().dir().isEmpty() ? out.resolve("checkpoints").toString()
            : HadoopPaths.resolve(train.checkpoint().dir()), train.checkpoint().keep(), hadoop)
        : null;

    TrainedModel model;
    byte[] earlier = train.resume() && out.exists("metrics.jsonl") ? out.readBytes("metrics.jsonl") : null;
    MetricsLog metrics = new MetricsLog(out.create("metrics.jsonl"));
    try (metrics) {
      if (earlier != null && checkpoints != null && checkpoints.latest().isPresent()) {
        metrics.replay(new ByteArrayInputStream(earlier), checkpoints.latest().get().step());
      }
      model = new ParameterAveragingTrainer(config, sc, System.out).train(data, metrics, checkpoints);
    }
    File zip = Files.createTempFile("model-", ".zip").toFile();
    try {
      TransformerLM.save(model.network(), model.config(), zip);
      out.put(zip, "model.zip");
    } finally {
      zip.delete();
    }
    out.writeJson("tokenizer.json", model.tokenizer());
    Map<String, Object> summary = new LinkedHashMap<>(model.summary());
    summary.put("data", data.dir().toString());
    summary.put("config", resolved);
    out.writeJson("summary.json", summary);
    try (OutputStream png = out.create("loss.png")) {
      LossCurve.write(png, "Training loss, " + config.workers() + " workers averaging every "
              + config.averagingFrequency() + " steps (" + model.config().nLayers() + " layers, d="
              + model.config().dModel() + ")",
          metrics.trainPoints(), metrics.validationPoints(),
          List.of(new LossCurve.Reference("unigram baseline", (double) summary.get("unigram_cross_entropy_bits"))));
    }
    System.out.printf("distributed-train: wrote %s (model.zip, tokenizer.json, train.conf, metrics.jsonl, loss.png,"
        + " summary.json)%n", out.path());
    return model;
  }
}
