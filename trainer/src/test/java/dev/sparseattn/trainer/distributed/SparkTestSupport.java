package dev.sparseattn.trainer.distributed;

import com.typesafe.config.Config;
import dev.sparseattn.datasets.config.JobArgs;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Shared helpers: a local[2] Spark session, sample text, configurations from overrides, array comparisons. */
final class SparkTestSupport {
  private SparkTestSupport() {}

  static JavaSparkContext startSpark() {
    return startSpark(java.util.Map.of());
  }

  /** A local[2] session with extra Spark settings. */
  static JavaSparkContext startSpark(java.util.Map<String, String> settings) {
    SparkSession.Builder builder = SparkSession.builder();
    settings.forEach(builder::config);
    SparkSession spark = builder.master("local[2]").appName("distributed-train-test")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    return JavaSparkContext.fromSparkContext(spark.sparkContext());
  }

  static List<String> sampleLines(int n) throws IOException {
    Path sample = Paths.get(System.getProperty("project.root.dir", ".."), "data/sample/kjv-sample.txt.gz");
    try (BufferedReader r = new BufferedReader(new InputStreamReader(
        new GZIPInputStream(Files.newInputStream(sample)), StandardCharsets.UTF_8))) {
      return r.lines().limit(n).collect(Collectors.toList());
    }
  }

  /** A tiny model's configuration over {@code data} into {@code out}, plus overrides. */
  static Config config(Path data, String out, String... overrides) {
    List<String> o = new ArrayList<>(List.of(
        "train.data=\"" + data.toUri() + "\"", "train.output=\"" + out + "\"", "train.overwrite=true",
        "train.model.d-model=16", "train.model.heads=2", "train.model.layers=1", "train.model.ffn-hidden=32",
        "train.batch-size=4", "train.eval-sequences=8", "train.optim.warmup-steps=2", "train.log-every=100"));
    o.addAll(Arrays.asList(overrides));
    return JobArgs.parseOverrides(o);
  }

  static float[] floats(INDArray a) {
    return a.dup().data().asFloat();
  }

  static double maxAbsDiff(INDArray a, INDArray b) {
    return a.sub(b).amaxNumber().doubleValue();
  }
}
