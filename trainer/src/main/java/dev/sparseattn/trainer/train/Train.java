package dev.sparseattn.trainer.train;

import dev.sparseattn.datasets.config.Cli;
import dev.sparseattn.datasets.fs.HadoopPaths;
import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.trainer.io.ModelDirectory;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.report.LossCurve;
import dev.sparseattn.trainer.report.MetricsLog;
import dev.sparseattn.trainer.checkpoint.CheckpointStore;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.OutputStream;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;

/**
 * The {@code train} job: trains a transformer language model on one machine from the shards a
 * {@code PrepareCorpus} run wrote, and saves into {@code train.output}: {@code model.zip} (network,
 * architecture), {@code tokenizer.json}, {@code train.conf} (the resolved configuration),
 * {@code metrics.jsonl}, {@code loss.png} and {@code summary.json}.
 *
 * <p>Usage: {@code Train <config-file> [key=value ...]}, e.g. {@code Train conf/quickstart.conf train.steps=50}.
 */
public final class Train {
  private Train() {}

  public static void main(String[] args) {
    Cli.main("train", args, TrainConfig::parse, Train::run);
  }

  /** Runs the job with a validated configuration. */
  public static TrainedModel run(TrainConfig config) throws Exception {
    Configuration hadoop = new Configuration();
    PreparedDataset data = PreparedDataset.open(HadoopPaths.resolve(config.data()), hadoop);
    String output = HadoopPaths.resolve(config.output());
    ModelDirectory out = config.resume()
        ? ModelDirectory.reuse(output, hadoop)
        : ModelDirectory.create(output, config.overwrite(), hadoop);
    System.out.printf("train: data %s -> %s%n", data.dir(), out.path());
    out.writeText("train.conf", config.resolved().render());
    CheckpointStore checkpoints = config.checkpoint().enabled()
        ? new CheckpointStore(config.checkpoint().dir().isEmpty() ? out.resolve("checkpoints").toString()
            : HadoopPaths.resolve(config.checkpoint().dir()), config.checkpoint().keep(), hadoop)
        : null;

    TrainedModel model;
    byte[] earlierMetrics = config.resume() && out.exists("metrics.jsonl") ? out.readBytes("metrics.jsonl") : null;
    MetricsLog metrics = new MetricsLog(out.create("metrics.jsonl"));
    try (metrics) {
      if (earlierMetrics != null && checkpoints != null && checkpoints.latest().isPresent()) {
        metrics.replay(new ByteArrayInputStream(earlierMetrics), checkpoints.latest().get().step());
      }
      model = new LocalTrainer(config, System.out).train(data, metrics, checkpoints);
    }
    File zip = Files.createTempFile("model-", ".zip").toFile();
    try {
      TransformerLM.save(model.network(), model.config(), zip);
      out.put(zip, "model.zip");
    } finally {
      zip.delete();
    }
    out.writeJson("tokenizer.json", model.tokenizer());
    Map<String, Object> summary = new java.util.LinkedHashMap<>(model.summary());
    summary.put("data", data.dir().toString());
    summary.put("config", config.resolved().values());
    out.writeJson("summary.json", summary);
    try (OutputStream png = out.create("loss.png")) {
      LossCurve.write(png, "Training loss (" + model.config().nLayers() + " layers, d="
              + model.config().dModel() + ")",
          metrics.trainPoints(), metrics.validationPoints(),
          List.of(new LossCurve.Reference("unigram baseline", (double) summary.get("unigram_cross_entropy_bits"))));
    }
    System.out.printf("train: wrote %s (model.zip, tokenizer.json, train.conf, metrics.jsonl, loss.png, summary.json)%n",
        out.path());
    return model;
  }
}
