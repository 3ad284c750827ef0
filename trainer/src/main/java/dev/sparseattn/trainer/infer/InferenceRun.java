package dev.sparseattn.trainer.infer;

import dev.sparseattn.datasets.config.ConfigError;
import dev.sparseattn.datasets.config.DataError;
import dev.sparseattn.datasets.fs.HadoopPaths;
import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.datasets.manifest.ShardInfo;
import dev.sparseattn.trainer.io.ModelDirectory;
import dev.sparseattn.trainer.runtime.NativeThreads;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/**
 * The driver side shared by the batch inference jobs: opens the dataset and the model and checks that they fit
 * ({@link ModelFit}) and that the output may be written, all before any Spark job; then runs a {@link ShardPass} over
 * the split's shards, writes the processed rows as Parquet to {@code <output>/<table>/} and the set-aside rows as JSON
 * lines to {@code <output>/quarantine/}, and accounts for every row: rows read (every row the tasks met) = rows written
 * (counted again by reading the Parquet back) + quarantined, and rows read = the rows the manifest lists.
 */
final class InferenceRun {
  private InferenceRun() {}

  /** What a finished run reports, before the job adds its totals. */
  record Result(Map<String, Object> summary, Dataset<Row> written, ModelDirectory out) {}

  /** A job's work on a Spark session. */
  interface SessionWork<T> {
    T run(SparkSession spark) throws Exception;
  }

  /**
   * Runs {@code work} on Spark: joins the running session, or starts one (with {@code master} unless
   * {@code spark.master} is set, as under spark-submit) and stops it afterwards.
   */
  static <T> T inSession(String appName, String master, SessionWork<T> work) throws Exception {
    boolean running = SparkSession.getActiveSession().isDefined() || SparkSession.getDefaultSession().isDefined();
    SparkSession.Builder builder = SparkSession.builder().appName(appName);
    SparkConf given = new SparkConf();
    if (!given.contains("spark.master")) {
      builder.master(master);
    }
    if (!given.contains(NativeThreads.SPARK_EXECUTOR_ENV.getKey())) {
      builder.config(NativeThreads.SPARK_EXECUTOR_ENV.getKey(), NativeThreads.SPARK_EXECUTOR_ENV.getValue());
    }
    SparkSession spark = builder.getOrCreate();
    try {
      return work.run(spark);
    } finally {
      if (!running) {
        spark.stop();
      }
    }
  }

  /**
   * The checked inputs of a run, prepared on the driver without any Spark job: the prepared dataset and its shards,
   * or (raw inputs, {@code data} null) the input files.
   */
  record Inputs(PreparedDataset data, ModelRef model, ModelDirectory out, List<String> shards) {}

  /**
   * Opens the inputs: with {@code job}'s raw input keys, the model, its tokenizer checked against the raw format, and
   * the input files listed (so a glob that matches nothing fails here, naming the key); else {@link #prepare(
   * InferenceSettings, SparkSession)}.
   */
  static Inputs prepare(String job, InferenceSettings s, SparkSession spark) throws Exception {
    if (s.raw() == null) {
      return prepare(s, spark);
    }
    org.apache.hadoop.conf.Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    ModelRef model = ModelRef.resolve(s.model(), hadoop);
    s.raw().checkTokenizer(model.tokenizerDescription(), job + ".format");
    String window = ModelFit.windowProblem(model.config(), s.window());
    if (window != null) {
      throw new ConfigError(job + ".window", window);
    }
    int length = s.window() == 0 ? model.config().seqLen() : s.window();
    if (s.stride() >= length) {
      throw new ConfigError(job + ".stride", "must be below the window (" + length + " tokens), got " + s.stride());
    }
    List<String> files = s.raw().files(hadoop, job + ".input");
    ModelDirectory out = ModelDirectory.create(HadoopPaths.resolve(s.output()), s.overwrite(), hadoop);
    return new Inputs(null, model, out, files);
  }

  static Inputs prepare(InferenceSettings s, SparkSession spark) throws Exception {
    org.apache.hadoop.conf.Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    PreparedDataset data = PreparedDataset.open(HadoopPaths.resolve(s.data()), hadoop);
    ModelRef model = ModelRef.resolve(s.model(), hadoop);
    ModelFit.check(model, data);
    List<String> shards = data.manifest().split(s.split()).shards().stream().map(ShardInfo::path).toList();
    if (shards.isEmpty()) {
      throw new DataError("dataset " + data.dir() + " has no " + s.split() + " shards");
    }
    ModelDirectory out = ModelDirectory.create(HadoopPaths.resolve(s.output()), s.overwrite(), hadoop);
    return new Inputs(data, model, out, shards);
  }

  /**
   * Runs {@code pass} over the shards and writes the outputs; {@code columns} are the job's own columns.
   *
   * @param table name of the Parquet directory under the output
   */
  static Result execute(String job, InferenceSettings s, SparkSession spark, Inputs in,
                        FlatMapFunction<Iterator<String>, Row> pass, List<StructField> columns, String table) {
    long start = System.nanoTime();
    StructType schema = schema(columns);
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    int slices = s.partitions() == 0 ? in.shards().size() : Math.min(s.partitions(), in.shards().size());
    JavaRDD<Row> rows = sc.parallelize(in.shards(), slices).mapPartitions(pass);
    Dataset<Row> all = spark.createDataFrame(rows, schema).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      String tablePath = in.out().resolve(table).toString();
      String quarantinePath = in.out().resolve("quarantine").toString();
      all.filter(functions.col("reason").isNull()).drop("reason").write().parquet(tablePath);   // runs the model
      long passDone = System.nanoTime();
      // the accounting reads the cached rows: one job counts them by reason (null: processed), one task writes the
      // quarantine (a file per model task would cost a file per shard for usually nothing)
      long read = 0;
      Map<String, Long> byReason = new TreeMap<>();
      for (Row r : all.groupBy(functions.substring_index(functions.col("reason"), ":", 1).as("code")).count()
          .collectAsList()) {
        read += r.getLong(1);
        if (!r.isNullAt(0)) {
          byReason.put(r.getString(0), r.getLong(1));
        }
      }
      Dataset<Row> bad = all.filter(functions.col("reason").isNotNull()).select("seq_id", "shard", "reason");
      bad.coalesce(1).write().json(quarantinePath);
      Dataset<Row> written = spark.read().parquet(tablePath);
      long writtenRows = written.count();
      long quarantined = byReason.values().stream().mapToLong(Long::longValue).sum();
      Long listed = in.data() == null ? null
          : in.data().manifest().split(s.split()).shards().stream().mapToLong(ShardInfo::rows).sum();
      if (read != writtenRows + quarantined || (listed != null && read != listed)) {
        throw new IllegalStateException(job + ": record accounting does not add up: read " + read + ", written "
            + writtenRows + ", quarantined " + quarantined + (listed == null ? "" : ", listed in the manifest "
            + listed));
      }
      Map<String, Object> records = new LinkedHashMap<>();
      records.put("read", read);
      records.put("written", writtenRows);
      records.put("quarantined", quarantined);
      records.put("by_reason", byReason);
      if (listed != null) {
        records.put("listed_in_manifest", listed);
      } else {
        records.put("files", in.shards().size());
      }
      Map<String, Object> summary = new LinkedHashMap<>();
      summary.put("job", job);
      summary.put("model", Map.of("zip", in.model().zip(), "sha256", in.model().sha256()));
      if (in.data() != null) {
        summary.put("dataset", in.data().dir().toString());
        summary.put("split", s.split().id());
      } else {
        summary.put("input", s.raw().paths());
        summary.put("format", s.raw().format().name().toLowerCase(java.util.Locale.ROOT));
      }
      summary.put("output", tablePath);
      summary.put("partitions", slices);
      summary.put("records", records);
      long end = System.nanoTime();
      summary.put("seconds", (end - start) / 1e9);
      summary.put("seconds_model_and_write", (passDone - start) / 1e9);
      summary.put("seconds_accounting", (end - passDone) / 1e9);
      return new Result(summary, written, in.out());
    } finally {
      all.unpersist();
    }
  }

  private static StructType schema(List<StructField> columns) {
    StructType t = new StructType()
        .add("seq_id", DataTypes.LongType, false)
        .add("shard", DataTypes.StringType, false);
    for (StructField f : columns) {
      t = t.add(f);
    }
    return t.add("reason", DataTypes.StringType, true);
  }

}
