package dev.sparseattn.trainer.infer;

import com.typesafe.config.Config;
import dev.sparseattn.datasets.config.ResolvedConfig;
import dev.sparseattn.datasets.config.Section;
import dev.sparseattn.datasets.fs.HadoopPaths;
import dev.sparseattn.datasets.read.CsvOptions;
import dev.sparseattn.trainer.eval.series.ForecastKeys;
import dev.sparseattn.trainer.forecast.ForecastSettings;
import java.util.List;

/**
 * Everything the {@code forecast} job needs, read from the {@code forecast} section.
 *
 * @param model a model directory written by the train job (on time series), or its {@code model.zip}
 * @param input raw CSV files: Hadoop paths or globs (files or directories; {@code .gz}, {@code .bz2} decompressed)
 * @param csv how the CSV is read ({@code forecast.csv}, the prepare job's keys; window and stride are set from
 *            {@code context-steps}, the layout must be interleaved)
 * @param contextSteps N: the last N steps of each series are the context
 * @param settings horizon H, samples S, temperature, top-k and seed of the sampled paths
 * @param output the output directory
 * @param overwrite whether an existing output directory may be replaced
 * @param partitions Spark tasks over the files; 0 for one per file
 * @param master Spark master, used only when spark-submit or the JVM did not set one
 * @param appName Spark application name
 * @param resolved the configuration as read, defaults included
 */
public record ForecastConfig(String model, List<String> input, CsvOptions csv, int contextSteps,
                             ForecastSettings settings, String output, boolean overwrite, int partitions,
                             String master, String appName, ResolvedConfig resolved) {

  /** Reads and validates the {@code forecast} section; fails with a message naming the key. */
  public static ForecastConfig parse(Config root) {
    Section s = new Section(root, "forecast");
    String model = s.string("model");
    List<String> input = s.strings("input");
    String output = s.string("output");
    boolean overwrite = s.bool("overwrite", false);
    int context = s.integer("context-steps", 64, 1, 65_536);
    int horizon = s.integer("horizon", 12, 1, 65_536);
    int samples = s.integer("samples", 20, 1, 100_000);
    double temperature = s.number("temperature", 1.0, 1e-6, 1e6);
    int topK = s.integer("top-k", 0, 0, 1 << 24);
    long seed = s.longValue("seed", 0, Long.MIN_VALUE, Long.MAX_VALUE);
    ForecastSettings.Quantiles quantiles = ForecastKeys.quantiles(s);
    int partitions = s.integer("partitions", 0, 0, 1 << 20);
    Section c = s.section("csv");
    CsvOptions read = CsvOptions.parse(c);
    c.check(read.layout() == CsvOptions.Layout.INTERLEAVED, "layout",
        "must be interleaved: a forecast samples every variable of a step together");
    c.check(!read.valueColumns().isEmpty(), "value-columns", "must list the columns to forecast");
    c.check(read.categorical() == CsvOptions.Categorical.DROP, "categorical", "must be drop: categorical ids are"
        + " not forecast");
    Section spark = s.section("spark");
    String master = spark.string("master", "local[*]");
    String appName = spark.string("app-name", "sparseattn-forecast");
    s.finish();
    // windows of N steps that do not overlap: a series' last N steps are in its last two windows
    CsvOptions windows = new CsvOptions(read.timeColumn(), read.seriesColumn(), read.valueColumns(),
        read.categoricalColumns(), read.categorical(), read.categories(), read.step(), read.maxGap(), context, context,
        read.layout(), read.badCell(), 0, 0);
    return new ForecastConfig(model, input.stream().map(HadoopPaths::resolve).toList(), windows, context,
        new ForecastSettings(horizon, samples, temperature, topK, seed, quantiles), output, overwrite, partitions, master,
        appName, s.resolved());
  }
}
