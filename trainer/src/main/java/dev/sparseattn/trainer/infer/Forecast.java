package dev.sparseattn.trainer.infer;

import dev.sparseattn.datasets.config.Cli;
import dev.sparseattn.datasets.config.DataError;
import dev.sparseattn.datasets.fs.HadoopPaths;
import dev.sparseattn.datasets.tokenize.TimeSeriesTokenizer;
import dev.sparseattn.trainer.forecast.Forecaster;
import dev.sparseattn.trainer.io.ModelDirectory;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import dev.sparseattn.trainer.runtime.NativeThreads;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.storage.StorageLevel;

/**
 * The {@code forecast} job: probabilistic forecasts of every series of raw CSV time series with a model trained on
 * them, on a Spark cluster, written to {@code forecast.output}:
 * <pre>
 *   forecasts/part-*.parquet  file string, series string, variable string, step int (1..H), median double,
 *                             q10 .. q90 double (the deciles, original units), context_steps int
 *   quarantine/part-*.json    CSV rows the reader refused and series without an observed value: file, series,
 *                             record, reason
 *   summary.json              record accounting (CSV rows read = rows in forecast series + quarantined) and settings
 *   forecast.conf             the resolved configuration
 * </pre>
 * From the last {@code context-steps} steps of each series, {@code samples} paths of {@code horizon} steps are sampled
 * by the one {@link Forecaster} (Chronos-style, Ansari et al. 2024) on the model's incremental decoder; quantiles are
 * taken over the paths, in original units. The model and the CSV are checked to fit before any Spark job.
 *
 * <p>Usage: {@code Forecast <config-file> [key=value ...]}.
 */
public final class Forecast {
  private Forecast() {}

  public static void main(String[] args) {
    NativeThreads.passiveWait();
    Cli.main("forecast", args, ForecastConfig::parse, c -> run(c));
  }

  /** Runs the job, starting Spark (or joining the running session) and stopping it if it started it. */
  public static Map<String, Object> run(ForecastConfig config) throws Exception {
    return InferenceRun.inSession(config.appName(), config.master(), spark -> run(config, spark));
  }

  /** Runs the job on a running session and returns the summary it writes. */
  public static Map<String, Object> run(ForecastConfig config, SparkSession spark) throws Exception {
    long start = System.nanoTime();
    org.apache.hadoop.conf.Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    ModelRef model = ModelRef.resolve(config.model(), hadoop);
    check(model, config);
    RawInput raw = new RawInput(config.input(), RawInput.Format.TEXT, "", 1, 1, 1);
    List<String> files = raw.files(hadoop, "forecast.input");
    ModelDirectory out = ModelDirectory.create(HadoopPaths.resolve(config.output()), config.overwrite(), hadoop);

    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    int slices = config.partitions() == 0 ? files.size() : Math.min(config.partitions(), files.size());
    JavaRDD<Row> rows = sc.parallelize(files, slices).mapPartitions(new SeriesForecastPass(model, config.csv(),
        config.contextSteps(), config.settings()));
    Dataset<Row> all = spark.createDataFrame(rows, SeriesForecastPass.SCHEMA).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      String table = out.resolve("forecasts").toString();
      all.filter(functions.col("reason").isNull()).drop("record", "csv_rows", "reason").write().parquet(table);
      Dataset<Row> bad = all.filter(functions.col("reason").isNotNull()).select("file", "series", "record", "reason");
      bad.write().json(out.resolve("quarantine").toString());
      Row t = all.agg(functions.sum("csv_rows"),
          functions.sum(functions.when(functions.col("reason").isNotNull(), functions.col("csv_rows")).otherwise(0L)),
          functions.countDistinct(functions.when(functions.col("reason").isNull(),
              functions.concat_ws("\u0000", functions.col("file"), functions.col("series"))))).first();
      Map<String, Long> byReason = new TreeMap<>();
      for (Row r : bad.groupBy(functions.substring_index(functions.col("reason"), ":", 1).as("code")).count()
          .collectAsList()) {
        byReason.put(r.getString(0), r.getLong(1));
      }
      long written = spark.read().parquet(table).count();
      long series = t.getLong(2);
      int variables = config.csv().valueColumns().size();
      if (written != series * variables * config.settings().horizon()) {
        throw new IllegalStateException("forecast: wrote " + written + " rows for " + series + " series of "
            + variables + " variables and " + config.settings().horizon() + " steps");
      }
      Map<String, Object> records = new LinkedHashMap<>();
      records.put("csv_rows", t.isNullAt(0) ? 0L : t.getLong(0));
      records.put("csv_rows_quarantined_or_unforecast", t.isNullAt(1) ? 0L : t.getLong(1));
      records.put("series_forecast", series);
      records.put("output_rows", written);
      records.put("by_reason", byReason);
      records.put("files", files.size());
      Map<String, Object> summary = new LinkedHashMap<>();
      summary.put("job", "forecast");
      summary.put("model", Map.of("zip", model.zip(), "sha256", model.sha256()));
      summary.put("input", config.input());
      summary.put("output", table);
      summary.put("context_steps", config.contextSteps());
      summary.put("horizon", config.settings().horizon());
      summary.put("samples", config.settings().samples());
      summary.put("quantiles", config.settings().quantiles().key());
      summary.put("quantile_levels", List.of(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9));
      summary.put("partitions", slices);
      summary.put("records", records);
      summary.put("seconds", (System.nanoTime() - start) / 1e9);
      out.writeJson("summary.json", summary);
      out.writeText("forecast.conf", config.resolved().render());
      return summary;
    } finally {
      all.unpersist();
    }
  }

  /**
   * Fails, naming the key, unless the model was trained on time series with as many variables as {@code csv
   * .value-columns} lists, and its decoder holds the context and the horizon.
   */
  static void check(ModelRef model, ForecastConfig config) {
    Map<String, Object> tok = model.tokenizerDescription();
    if (!TimeSeriesTokenizer.NAME.equals(tok.get("name"))) {
      throw new DataError("forecast.model: " + model.zip() + " was trained with the '" + tok.get("name")
          + "' tokenizer, not on time series");
    }
    TimeSeriesTokenizer ts = (TimeSeriesTokenizer) model.tokenizer();
    int v = ts.options().variables();
    if (v != config.csv().valueColumns().size()) {
      throw new DataError("forecast.csv.value-columns: the model forecasts " + v + " variables per step, the"
          + " configuration lists " + config.csv().valueColumns().size() + " " + config.csv().valueColumns());
    }
    TransformerConfig arch = model.config();
    int max = arch.seqLen() / v - config.settings().horizon();
    if (config.contextSteps() > max) {
      throw new DataError("forecast.context-steps: " + config.contextSteps() + " steps and a horizon of "
          + config.settings().horizon() + " do not fit the model's " + arch.seqLen() + " positions ("
          + v + " per step): at most " + Math.max(0, max) + " context steps");
    }
  }
}
