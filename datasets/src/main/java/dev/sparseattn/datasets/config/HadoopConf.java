package dev.sparseattn.datasets.config;

import org.apache.hadoop.conf.Configuration;

/**
 * The Hadoop configuration a job sees before Spark starts: Hadoop's defaults and site files on the
 * classpath, plus every {@code spark.hadoop.*} system property (set by spark-submit from
 * {@code --conf spark.hadoop.fs.defaultFS=...}) with its prefix removed, as Spark itself applies them.
 */
public final class HadoopConf {
  private static final String PREFIX = "spark.hadoop.";

  private HadoopConf() {}

  public static Configuration beforeSpark() {
    Configuration conf = new Configuration();
    System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith(PREFIX)).sorted()
        .forEach(k -> conf.set(k.substring(PREFIX.length()), System.getProperty(k)));
    return conf;
  }
}
