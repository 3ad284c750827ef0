package dev.sparseattn.pipeline;

import dev.sparseattn.datasets.config.Cli;
import dev.sparseattn.datasets.config.HadoopConf;
import dev.sparseattn.pipeline.prepare.PreparePlan;
import dev.sparseattn.pipeline.prepare.PrepareJob;
import dev.sparseattn.pipeline.prepare.PrepareResult;
import java.io.IOException;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * Turns text corpora on any Hadoop file system into a prepared dataset: tokenized, packed into
 * fixed-length sequences, split into train/validation, written as Parquet shards plus
 * {@code manifest.json} (see {@code dev.sparseattn.datasets.shard.ShardSchema} and
 * {@code dev.sparseattn.datasets.manifest.Manifest}). The output is a pure function of the inputs'
 * bytes and the config.
 *
 * <p>Usage: {@code PrepareCorpus <config-file> [prepare.key=value ...]} (section {@link PrepareConfig}),
 * directly or through spark-submit. Inputs and output are checked before Spark starts.
 */
public final class PrepareCorpus {
  private PrepareCorpus() {}

  public static void main(String[] args) {
    Cli.main("prepare", args, PrepareConfig::parse, PrepareCorpus::run);
  }

  /**
   * Checks the inputs and output (DataError naming the path), then starts Spark (or joins the running
   * session), prepares the dataset, prints a summary, and stops Spark if it started it.
   */
  public static PrepareResult run(PrepareConfig config) throws IOException {
    PreparePlan plan = PreparePlan.create(config, HadoopConf.beforeSpark());
    boolean running = isLive(SparkSession.getActiveSession()) || isLive(SparkSession.getDefaultSession());
    SparkSession spark = startSession(config.spark());
    try {
      return report(PrepareJob.execute(plan, spark));
    } finally {
      if (!running) {
        spark.stop();
      }
    }
  }

  /** Prepares the dataset with an existing session (tests, notebooks); the session is left running. */
  public static PrepareResult run(PrepareConfig config, SparkSession spark) throws IOException {
    PreparePlan plan = PreparePlan.create(config, spark.sparkContext().hadoopConfiguration());
    return report(PrepareJob.execute(plan, spark));
  }

  private static PrepareResult report(PrepareResult result) {
    System.out.println(result.summary());
    return result;
  }

  /** Whether a session is there and not stopped (Spark keeps a stopped session as the thread's active one). */
  static boolean isLive(scala.Option<SparkSession> session) {
    return session.isDefined() && !session.get().sparkContext().isStopped();
  }

  /** The session: {@code spark.master} from the config only when spark-submit or the JVM did not set one. */
  static SparkSession startSession(PrepareConfig.SparkOptions options) {
    SparkSession.Builder builder = SparkSession.builder().appName(options.appName());
    if (!new SparkConf().contains("spark.master")) {
      builder.master(options.master());
    }
    return builder.getOrCreate();
  }
}
