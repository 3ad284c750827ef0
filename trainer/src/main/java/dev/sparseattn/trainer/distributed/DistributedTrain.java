package dev.sparseattn.trainer.distributed;

import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValueFactory;
import dev.sparseattn.datasets.config.Cli;
import dev.sparseattn.datasets.fs.HadoopPaths;
import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.trainer.runtime.NativeThreads;
import dev.sparseattn.trainer.train.TrainConfig;
import dev.sparseattn.trainer.train.TrainedModel;
import dev.sparseattn.trainer.train.TrainingRun;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
  private static final Logger LOG = LoggerFactory.getLogger(DistributedTrain.class);

  /**
   * Spark settings this job uses unless they are given (spark-submit {@code --conf} wins): a worker's
   * result (parameters and updater state, 120 MB for 10M parameters with Adam) travels to the driver
   * directly with the task's status message instead of through the block manager (stored, then
   * fetched by the driver), which cost ~0.6 s a round for 10M parameters in the benchmark. Results
   * above 2 GB still take the block manager path.
   */
  static final Map<String, String> RESULT_PATH = Map.of(
      "spark.task.maxDirectResultSize", "2000m",
      "spark.rpc.message.maxSize", "2047");

  private DistributedTrain() {}

  public static void main(String[] args) {
    NativeThreads.passiveWait();
    Cli.main("distributed-train", args, DistributedConfig::parse, DistributedTrain::run);
  }

  /** Runs the job, starting Spark (or joining the running session) and stopping it if it started it. */
  public static TrainedModel run(DistributedConfig config) throws Exception {
    boolean running = SparkSession.getActiveSession().isDefined() || SparkSession.getDefaultSession().isDefined();
    SparkSession.Builder builder = SparkSession.builder().appName(config.appName());
    SparkConf given = new SparkConf();
    if (!given.contains("spark.master")) {
      builder.master(config.master());
    }
    if (!given.contains(NativeThreads.SPARK_EXECUTOR_ENV.getKey())) {
      builder.config(NativeThreads.SPARK_EXECUTOR_ENV.getKey(), NativeThreads.SPARK_EXECUTOR_ENV.getValue());
    }
    RESULT_PATH.forEach((key, value) -> {
      if (!given.contains(key)) {
        builder.config(key, value);
      }
    });
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
    LOG.info("distributed-train: Spark master {}", sc.master());
    Map<String, Object> resolved = new LinkedHashMap<>();
    resolved.put("train", train.resolved().values());
    resolved.put("distributed", config.resolved().values());
    String text = ConfigValueFactory.fromMap(resolved)
        .render(ConfigRenderOptions.defaults().setOriginComments(false).setJson(false));
    return TrainingRun.execute("distributed-train", train, data, hadoop, text, resolved,
        m -> "Training loss, " + config.workers() + " workers averaging every " + config.averagingFrequency()
            + " steps (" + m.config().nLayers() + " layers, d=" + m.config().dModel() + ")",
        (metrics, checkpoints) -> new ParameterAveragingTrainer(config, sc, System.out).train(data, metrics, checkpoints));
  }
}
