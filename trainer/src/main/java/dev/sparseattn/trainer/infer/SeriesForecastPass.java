package dev.sparseattn.trainer.infer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparseattn.datasets.read.CsvOptions;
import dev.sparseattn.datasets.read.CsvSeriesReader;
import dev.sparseattn.datasets.read.DocLine;
import dev.sparseattn.datasets.read.RecordFormat;
import dev.sparseattn.datasets.tokenize.TimeSeriesTokenizer;
import dev.sparseattn.trainer.forecast.Forecast;
import dev.sparseattn.trainer.forecast.ForecastSettings;
import dev.sparseattn.trainer.forecast.Forecaster;
import dev.sparseattn.trainer.generate.DecodeEngine;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The {@code forecast} job's task over some CSV files: reads each file with {@link CsvSeriesReader} in
 * non-overlapping windows of N steps, keeps the last N steps of every series (from its last two windows), and
 * forecasts each series with the one {@link Forecaster} (on a {@link DecodeEngine} of the model this JVM's
 * {@link ModelCache} holds). Series are seeded by name ({@link #seriesSeed}), so output does not depend on the
 * partitioning. Output rows ({@link #SCHEMA}): one per series, variable and future step with the median and the
 * deciles in original units; rows the reader quarantines (bad timestamp, non-numeric cell, ...) and series without any
 * observed value in their context come out with a {@code reason}. {@code csv_rows} accounts for the CSV rows: the
 * series' rows on its first output row, 1 on a quarantined row, else 0.
 */
public final class SeriesForecastPass implements FlatMapFunction<Iterator<String>, Row> {
  private static final long serialVersionUID = 1L;
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Column names of the deciles 0.1 .. 0.9. */
  static final List<String> QUANTILE_COLUMNS = List.of("q10", "q20", "q30", "q40", "q50", "q60", "q70", "q80", "q90");
  /** The output: forecasts ({@code reason} null) and quarantined records. */
  static final StructType SCHEMA;

  static {
    StructType t = new StructType()
        .add("file", DataTypes.StringType, false)
        .add("series", DataTypes.StringType, true)
        .add("variable", DataTypes.StringType, true)
        .add("step", DataTypes.IntegerType, true)
        .add("median", DataTypes.DoubleType, true);
    for (String q : QUANTILE_COLUMNS) {
      t = t.add(q, DataTypes.DoubleType, true);
    }
    SCHEMA = t.add("context_steps", DataTypes.IntegerType, true)
        .add("record", DataTypes.LongType, true)
        .add("csv_rows", DataTypes.LongType, false)
        .add("reason", DataTypes.StringType, true);
  }

  private final ModelRef model;
  private final CsvOptions csv;
  private final int contextSteps;
  private final int horizon;
  private final int samples;
  private final double temperature;
  private final int topK;
  private final long seed;
  private final ForecastSettings.Quantiles quantiles;

  SeriesForecastPass(ModelRef model, CsvOptions csv, int contextSteps, ForecastSettings settings) {
    this.model = model;
    this.csv = csv;
    this.contextSteps = contextSteps;
    this.horizon = settings.horizon();
    this.samples = settings.samples();
    this.temperature = settings.temperature();
    this.topK = settings.topK();
    this.seed = settings.seed();
    this.quantiles = settings.quantiles();
  }

  /** The seed of a series' paths: the job's seed mixed with the series name (not its file or partition). */
  public static long seriesSeed(long seed, String series) {
    return Forecaster.pathSeed(seed, series.hashCode());
  }

  /** A series' last steps as read: its last two windows of N steps (interleaved values) and its CSV rows. */
  private static final class Tail {
    double[] previous = new double[0];
    double[] last = new double[0];
    long rows;
  }

  @Override
  public Iterator<Row> call(Iterator<String> files) throws Exception {
    Configuration conf = model.hadoopConfiguration();
    List<Row> out = new ArrayList<>();
    TimeSeriesTokenizer tok;
    DecodeEngine engine;
    try (ModelCache.Lease lease = ModelCache.borrow(model)) {
      tok = (TimeSeriesTokenizer) lease.tokenizer();
      engine = new DecodeEngine(lease.net(), Math.min(samples, 32), lease.config().seqLen());
    }
    try (engine) {
      Forecaster forecaster = new Forecaster(engine, tok);
      RecordFormat reader = new CsvSeriesReader(csv, tok);
      int v = tok.options().variables();
      while (files.hasNext()) {
        String file = files.next();
        Map<String, Tail> tails = new LinkedHashMap<>();
        Path path = new Path(file);
        CompressionCodec codec = new CompressionCodecFactory(conf).getCodec(path);
        try (InputStream raw = path.getFileSystem(conf).open(path);
             InputStream in = codec == null ? raw : codec.createInputStream(raw)) {
          RecordFormat.Units units = reader.open(in);
          while (units.hasNext()) {
            DocLine d = units.next();
            if (d.bad()) {
              out.add(row(file, null, null, null, null, null, null, d.recordNo(), 1L, d.reason()));
              continue;
            }
            JsonNode meta = JSON.readTree(d.meta());
            Tail t = tails.computeIfAbsent(meta.path("series").asText(""), k -> new Tail());
            t.previous = t.last;
            t.last = TimeSeriesTokenizer.parse(d.bytes(), 0, d.bytes().length);
            t.rows += d.records();
          }
        } catch (IOException | UncheckedIOException e) {
          out.add(row(file, null, null, null, null, null, null, null, 0L, "unreadable: " + e.getMessage()));
        }
        for (Map.Entry<String, Tail> e : tails.entrySet()) {
          forecastSeries(forecaster, file, e.getKey(), context(e.getValue(), v), e.getValue().rows, out);
        }
      }
    }
    return out.iterator();
  }

  /** The last N steps of a series: the end of its last two windows. */
  private double[] context(Tail t, int v) {
    int have = (t.previous.length + t.last.length) / v;
    int steps = Math.min(have, contextSteps);
    double[] c = new double[steps * v];
    int fromLast = Math.min(t.last.length, c.length);
    int fromPrevious = c.length - fromLast;
    System.arraycopy(t.previous, t.previous.length - fromPrevious, c, 0, fromPrevious);
    System.arraycopy(t.last, t.last.length - fromLast, c, fromPrevious, fromLast);
    return c;
  }

  private void forecastSeries(Forecaster forecaster, String file, String series, double[] context, long rows,
                              List<Row> out) {
    boolean observed = false;
    for (double x : context) {
      observed |= !Double.isNaN(x);
    }
    if (!observed) {
      out.add(row(file, series, null, null, null, null, null, null, rows, "no-observation: the last "
          + context.length / forecaster.variables() + " steps of the series are all missing"));
      return;
    }
    ForecastSettings s = new ForecastSettings(horizon, samples, temperature, topK, seriesSeed(seed, series),
        quantiles);
    Forecast f = forecaster.forecast(context, s);
    int steps = context.length / forecaster.variables();
    boolean first = true;
    for (int var = 0; var < f.variables(); var++) {
      for (int h = 0; h < f.horizon(); h++) {
        double[] q = new double[f.levels().length];
        for (int l = 0; l < q.length; l++) {
          q[l] = f.quantiles()[l][var][h];
        }
        out.add(row(file, series, csv.valueColumns().get(var), h + 1, f.median()[var][h], q, steps, null,
            first ? rows : 0L, null));
        first = false;
      }
    }
  }

  private Row row(String file, String series, String variable, Integer step, Double median, double[] q,
                  Integer contextSteps, Long record, long csvRows, String reason) {
    Object[] v = new Object[SCHEMA.size()];
    v[0] = file;
    v[1] = series;
    v[2] = variable;
    v[3] = step;
    v[4] = median;
    for (int l = 0; l < QUANTILE_COLUMNS.size(); l++) {
      v[5 + l] = q == null ? null : q[l];
    }
    v[14] = contextSteps;
    v[15] = record;
    v[16] = csvRows;
    v[17] = reason;
    return RowFactory.create(v);
  }
}
