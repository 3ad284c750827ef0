package dev.sparseattn.trainer.infer;

import dev.sparseattn.datasets.config.JobArgs;
import dev.sparseattn.datasets.manifest.Manifest;
import dev.sparseattn.datasets.manifest.ShardInfo;
import dev.sparseattn.datasets.manifest.SplitInfo;
import dev.sparseattn.datasets.shard.FileDigest;
import dev.sparseattn.datasets.shard.ShardWriter;
import dev.sparseattn.trainer.train.TinyDataset;
import dev.sparseattn.trainer.train.Train;
import dev.sparseattn.trainer.train.TrainConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;
import org.apache.commons.io.FileUtils;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.spark.sql.SparkSession;

/** A tiny trained model and prepared datasets for the inference tests, a Spark session, and a plain Parquet reader. */
final class InferFixture {
  private InferFixture() {}

  private static Path shared;

  /**
   * The directory (created once per test JVM, deleted at exit) holding {@code data/} ({@link #dataset}) and
   * {@code model/} ({@link #model} trained on it), shared by the inference test classes.
   */
  static synchronized Path shared() throws Exception {
    if (shared == null) {
      Path dir = Files.createTempDirectory("infer-fixture-");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> FileUtils.deleteQuietly(dir.toFile())));
      dataset(dir.resolve("data"));
      model(dir.resolve("data"), dir.resolve("model"));
      shared = dir;
    }
    return shared;
  }

  static List<String> kjv(int n) throws IOException {
    Path sample = Paths.get(System.getProperty("project.root.dir", ".."), "data/sample/kjv-sample.txt.gz");
    try (BufferedReader r = new BufferedReader(new InputStreamReader(
        new GZIPInputStream(Files.newInputStream(sample)), StandardCharsets.UTF_8))) {
      return r.lines().limit(n).collect(Collectors.toList());
    }
  }

  /** Byte-tokenised KJV verses, rows of 33 ids, every third row in validation, 7 rows a shard. */
  static void dataset(Path dir) throws IOException {
    TinyDataset.write(dir, kjv(160), 32, 3, 7);
  }

  /** Trains a 1-layer, d = 32 model for 10 steps on {@code data}; returns its directory. */
  static Path model(Path data, Path out) throws Exception {
    Train.run(TrainConfig.parse(JobArgs.parseOverrides(List.of(
        "train.data=\"" + data.toUri() + "\"", "train.output=\"" + out + "\"",
        "train.model.d-model=32", "train.model.heads=2", "train.model.layers=1",
        "train.batch-size=8", "train.steps=10", "train.eval-every=10", "train.log-every=10",
        "train.eval-sequences=8", "train.optim.warmup-steps=5", "train.optim.learning-rate=0.01"))));
    return out;
  }

  /**
   * A copy of {@code src} with one more validation shard holding a row without a target (1 real token) and a row
   * with an id outside the byte vocabulary: both must be quarantined, not scored.
   */
  static void withBadRows(Path src, Path dst) throws IOException {
    FileUtils.copyDirectory(src.toFile(), dst.toFile());
    Configuration conf = new Configuration();
    Manifest m = Manifest.read(dst.toUri().toString(), conf);
    SplitInfo v = m.splits().get("validation");
    String name = "validation/shard-bad.parquet";
    org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(dst.toUri().toString(), name);
    int[] oneToken = new int[33];
    Arrays.fill(oneToken, 256);
    oneToken[0] = 65;
    int[] badId = new int[33];
    Arrays.fill(badId, 66);
    badId[5] = 999;
    try (ShardWriter w = ShardWriter.create(file, conf, 33)) {
      w.write(v.sequences(), oneToken, 1);
      w.write(v.sequences() + 1, badId, 33);
    }
    List<ShardInfo> shards = new ArrayList<>(v.shards());
    shards.add(new ShardInfo(name, 2, Files.size(Paths.get(file.toUri())), FileDigest.sha256(file, conf),
        v.sequences()));
    Map<String, SplitInfo> splits = new HashMap<>(m.splits());
    splits.put("validation", new SplitInfo(v.records(), v.sequences() + 2, v.tokens() + 34, shards,
        v.tokenHistogram()));
    new Manifest(m.schemaVersion(), m.createdBy(), m.tokenizer(), m.seqLen(), m.document(), m.documents(),
        m.inputBytes(), m.streamTokens(), m.chunks(), m.inputs(), splits, m.prepareConfig())
        .write(dst.toUri().toString(), conf);
  }

  /** A local Spark session with {@code master}, replacing a running one with another master. */
  static SparkSession spark(String master) {
    SparkSession running = SparkSession.getActiveSession().isDefined() ? SparkSession.getActiveSession().get()
        : SparkSession.getDefaultSession().isDefined() ? SparkSession.getDefaultSession().get() : null;
    if (running != null && running.sparkContext().master().equals(master) && !running.sparkContext().isStopped()) {
      return running;
    }
    if (running != null) {
      running.stop();
    }
    SparkSession spark = SparkSession.builder().master(master).appName("infer-test")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    return spark;
  }

  /** Every record of the Parquet part files under {@code dir}, read with parquet-hadoop's example reader (no Spark). */
  static List<Group> readParquet(Path dir) throws IOException {
    List<Group> out = new ArrayList<>();
    try (var files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".parquet")).sorted().toList()) {
        try (ParquetReader<Group> r = ParquetReader.builder(new GroupReadSupport(),
            new org.apache.hadoop.fs.Path(f.toUri())).build()) {
          for (Group g; (g = r.read()) != null; ) {
            out.add(g);
          }
        }
      }
    }
    return out;
  }

  /** A Spark-written {@code array<float>} column (3-level LIST) of a record. */
  static float[] floats(Group g, String field) {
    Group list = g.getGroup(field, 0);
    int n = list.getFieldRepetitionCount("list");
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = list.getGroup("list", i).getFloat("element", 0);
    }
    return out;
  }
}
