package dev.sparseattn.pipeline;

import org.apache.spark.sql.SparkSession;

/** The local[2] session of a test class: one per class, stopped by {@link #stop}. */
public final class TestSpark {
  private TestSpark() {}

  public static SparkSession start(String name) {
    return SparkSession.builder().master("local[2]").appName(name)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate();
  }

  public static void stop(SparkSession spark) {
    if (spark != null) {
      spark.stop();
      SparkSession.clearActiveSession();
      SparkSession.clearDefaultSession();
    }
  }

  /** A {@code prepare} config from HOCON assignments (strings must be quoted by the caller). */
  public static PrepareConfig config(String input, String output, String... assignments) {
    return TestCorpus.config(input, output, assignments);
  }
}
