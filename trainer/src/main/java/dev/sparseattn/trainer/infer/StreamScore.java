package dev.sparseattn.trainer.infer;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparseattn.datasets.config.Cli;
import dev.sparseattn.datasets.config.ConfigError;
import dev.sparseattn.datasets.fs.HadoopPaths;
import dev.sparseattn.trainer.infer.ml.SequenceScorer;
import dev.sparseattn.trainer.runtime.NativeThreads;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.streaming.StreamingQuery;

/**
 * The {@code stream-score} job: a Structured Streaming query that scores documents as they arrive (new text files in
 * {@code stream.input}, one document per line, or with {@code stream.source = kafka} the records of Kafka topics,
 * {@link KafkaSource}) with {@link SequenceScorer} and writes each micro-batch to
 * {@code stream.output/batch_id=<n>/} (Parquet: {@code source, value, bits, bits_per_unit, score_error}), replacing
 * that directory if the batch runs again. With the checkpoint ({@code stream.checkpoint}: offsets and commits), a
 * query restarted after a failure re-runs only uncommitted batches, with their original ids and files, so its output
 * holds every document exactly once. Each batch's latency (from the start of its processing to its output being
 * written) goes to {@code stream.output/_metrics/batch-<n>.json}.
 *
 * <p>Usage: {@code StreamScore <config-file> [key=value ...]}.
 */
public final class StreamScore {
  private static final ObjectMapper JSON = new ObjectMapper();

  private StreamScore() {}

  public static void main(String[] args) {
    NativeThreads.passiveWait();
    Cli.main("stream-score", args, StreamScoreConfig::parse, StreamScore::run);
  }

  /** Runs the query until it is stopped (or idle for {@code stop-after-idle-seconds}), starting Spark if needed. */
  public static void run(StreamScoreConfig config) throws Exception {
    InferenceRun.inSession(config.appName(), config.master(), spark -> {
      StreamingQuery q = start(config, spark);
      if (config.stopAfterIdleSeconds() == 0) {
        q.awaitTermination();
      } else {
        long idleSince = System.nanoTime();
        long seen = -1;
        while (q.isActive() && (System.nanoTime() - idleSince) / 1e9 < config.stopAfterIdleSeconds()) {
          q.awaitTermination(500);
          long now = q.lastProgress() == null ? -1 : q.lastProgress().batchId();
          if (now != seen) {
            seen = now;
            idleSince = System.nanoTime();
          }
        }
        q.stop();
      }
      return null;
    });
  }

  /** Starts the query on a running session; the model is checked (resolved) before the query starts. */
  public static StreamingQuery start(StreamScoreConfig config, SparkSession spark) throws TimeoutException {
    ModelRef model = ModelRef.resolve(config.model(), spark.sparkContext().hadoopConfiguration());
    String window = ModelFit.windowProblem(model.config(), config.window());
    if (window != null) {
      throw new ConfigError("stream.window", window);
    }
    SequenceScorer scorer = new SequenceScorer().setModelPath(config.model()).setInputCol("value")
        .setBatchSize(config.batchSize()).setWindow(config.window());
    String output = HadoopPaths.resolve(config.output());
    Dataset<Row> docs = source(config, spark);
    VoidFunction2<Dataset<Row>, Long> write = (batch, id) -> writeBatch(scorer, batch, id, output);
    return docs.writeStream().queryName("stream-score").option("checkpointLocation",
        HadoopPaths.resolve(config.checkpoint())).foreachBatch(write).start();
  }

  /**
   * The documents as they arrive: {@code source} (the file, or {@code topic/partition@offset}) and {@code value} (the
   * document). Files: new text files of {@code stream.input}, a line a document. Kafka: the records of the topics, the
   * value decoded as UTF-8.
   */
  static Dataset<Row> source(StreamScoreConfig config, SparkSession spark) {
    if (config.kafka() != null) {
      return spark.readStream().format("kafka").options(config.kafka().options()).load()
          .select(functions.concat(functions.col("topic"), functions.lit("/"), functions.col("partition"),
              functions.lit("@"), functions.col("offset")).as("source"),
              functions.col("value").cast("string").as("value"));
    }
    return spark.readStream().option("maxFilesPerTrigger", config.maxFilesPerTrigger())
        .text(HadoopPaths.resolve(config.input()))
        .select(functions.input_file_name().as("source"), functions.col("value"));
  }

  /** Scores one micro-batch and replaces {@code batch_id=<id>/}: running a batch again never duplicates its rows. */
  static void writeBatch(SequenceScorer scorer, Dataset<Row> batch, long id, String output) throws Exception {
    long start = System.nanoTime();
    Dataset<Row> scored = scorer.transform(batch).persist();
    try {
      scored.write().mode(SaveMode.Overwrite).parquet(output + "/batch_id=" + id);
      long rows = scored.count();
      long rejected = scored.filter(functions.col("score_error").isNotNull()).count();
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("batch_id", id);
      m.put("rows", rows);
      m.put("rejected", rejected);
      m.put("latency_ms", (System.nanoTime() - start) / 1e6);
      Path metrics = new Path(output + "/_metrics/batch-" + id + ".json");
      FileSystem fs = metrics.getFileSystem(batch.sparkSession().sparkContext().hadoopConfiguration());
      try (FSDataOutputStream out = fs.create(metrics, true)) {
        out.write((JSON.writeValueAsString(m) + "\n").getBytes(StandardCharsets.UTF_8));
      }
    } finally {
      scored.unpersist();
    }
  }
}
