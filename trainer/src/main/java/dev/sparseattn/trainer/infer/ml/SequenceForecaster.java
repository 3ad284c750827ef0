package dev.sparseattn.trainer.infer.ml;

import dev.sparseattn.datasets.tokenize.TimeSeriesTokenizer;
import dev.sparseattn.trainer.forecast.Forecast;
import dev.sparseattn.trainer.forecast.ForecastSettings;
import dev.sparseattn.trainer.forecast.Forecaster;
import dev.sparseattn.trainer.generate.DecodeEngine;
import dev.sparseattn.trainer.infer.ModelCache;
import dev.sparseattn.trainer.infer.ModelRef;
import dev.sparseattn.trainer.infer.SeriesForecastPass;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * A Spark ML {@link org.apache.spark.ml.Transformer} that forecasts a DataFrame column of series contexts with a model trained on time
 * series, through the one {@link Forecaster} (the {@code forecast} job's): per row, from the context (an
 * {@code array<double>} of observed steps in original units, interleaved: every variable of a step, then the next
 * step; null or NaN for missing), {@code samples} paths of {@code horizon} steps are sampled and it adds
 * <pre>
 *   medianCol     array&lt;double&gt;           the median per step and variable, interleaved [H * V]
 *   quantilesCol  array&lt;array&lt;double&gt;&gt;   the deciles 0.1 .. 0.9, each interleaved [9][H * V]
 *   reasonCol     string                  why a row has null outputs (no context, not whole steps, too long)
 * </pre>
 * Paths are seeded by {@code seed} mixed with the row's {@code seriesCol} value as the forecast job seeds a series, so
 * a row forecasts what the job writes for the same series and context; without a series column the context's values
 * seed it. The model is loaded once per executor JVM; saved and loaded with Spark ML's default params writer.
 */
public final class SequenceForecaster extends ModelColumnTransformer<SequenceForecaster> {
  private static final long serialVersionUID = 1L;

  private final Param<String> seriesCol;
  private final Param<String> medianCol;
  private final Param<String> quantilesCol;
  private final IntParam horizon;
  private final IntParam samples;
  private final DoubleParam temperature;
  private final IntParam topK;
  private final LongParam seed;
  private final Param<String> quantiles;

  public SequenceForecaster() {
    this(Identifiable$.MODULE$.randomUID("sequenceForecaster"));
  }

  public SequenceForecaster(String uid) {
    super(uid, "a model trained on time series (directory or model.zip)",
        "the array<double> column of contexts (interleaved steps)", "context", "forecast_error");
    seriesCol = new Param<>(this, "seriesCol", "a string column naming each series, mixed into its seed (empty: none)");
    medianCol = new Param<>(this, "medianCol", "output column of the median per step and variable");
    quantilesCol = new Param<>(this, "quantilesCol", "output column of the deciles per step and variable");
    horizon = new IntParam(this, "horizon", "future steps per path", ParamValidators.gtEq(1));
    samples = new IntParam(this, "samples", "sampled paths per row", ParamValidators.gtEq(1));
    temperature = new DoubleParam(this, "temperature", "sampling temperature", ParamValidators.gt(0));
    topK = new IntParam(this, "topK", "sample among the k most likely bins, 0 = all", ParamValidators.gtEq(0));
    seed = new LongParam(this, "seed", "seed of the paths");
    quantiles = new Param<>(this, "quantiles", "predictive (from the paths' sampling distributions, exact for the"
        + " first value) or samples (the paths' order statistics)",
        ParamValidators.inArray(new String[] {"predictive", "samples"}));
    setDefault(seriesCol, "");
    setDefault(medianCol, "forecast_median");
    setDefault(quantilesCol, "forecast_quantiles");
    setDefault(horizon, 12);
    setDefault(samples, 20);
    setDefault(temperature, 1.0);
    setDefault(topK, 0);
    setDefault(seed, 0L);
    setDefault(quantiles, ForecastSettings.Quantiles.PREDICTIVE.key());
  }

  @Override
  SequenceForecaster self() {
    return this;
  }

  public Param<String> seriesCol() {
    return seriesCol;
  }

  public Param<String> medianCol() {
    return medianCol;
  }

  public Param<String> quantilesCol() {
    return quantilesCol;
  }

  public IntParam horizon() {
    return horizon;
  }

  public IntParam samples() {
    return samples;
  }

  public DoubleParam temperature() {
    return temperature;
  }

  public IntParam topK() {
    return topK;
  }

  public LongParam seed() {
    return seed;
  }

  public Param<String> quantiles() {
    return quantiles;
  }

  public SequenceForecaster setSeriesCol(String v) {
    return with(seriesCol, v);
  }

  public SequenceForecaster setMedianCol(String v) {
    return with(medianCol, v);
  }

  public SequenceForecaster setQuantilesCol(String v) {
    return with(quantilesCol, v);
  }

  public SequenceForecaster setHorizon(int v) {
    return with(horizon, v);
  }

  public SequenceForecaster setSamples(int v) {
    return with(samples, v);
  }

  public SequenceForecaster setTemperature(double v) {
    return with(temperature, v);
  }

  public SequenceForecaster setTopK(int v) {
    return with(topK, v);
  }

  public SequenceForecaster setSeed(long v) {
    return with(seed, v);
  }

  /** {@code predictive} (the default) or {@code samples}: see {@link ForecastSettings.Quantiles}. */
  public SequenceForecaster setQuantiles(String v) {
    return with(quantiles, v);
  }

  @Override
  String inputTypeProblem(DataType type) {
    return type instanceof ArrayType a && a.elementType().equals(DataTypes.DoubleType) ? null
        : "array<double> (the context's values, interleaved)";
  }

  /** The median and deciles; fails, before any work, when the series column is missing or not a string. */
  @Override
  List<StructField> outputs() {
    return List.of(
        DataTypes.createStructField($(medianCol), DataTypes.createArrayType(DataTypes.DoubleType, false), true),
        DataTypes.createStructField($(quantilesCol), DataTypes.createArrayType(
            DataTypes.createArrayType(DataTypes.DoubleType, false), false), true));
  }

  /** The base checks, and the series column, when one is named, must be an existing string column. */
  @Override
  public StructType transformSchema(StructType schema) {
    StructType out = super.transformSchema(schema);
    String series = $(seriesCol);
    if (!series.isEmpty() && (!Arrays.asList(schema.fieldNames()).contains(series)
        || !schema.apply(series).dataType().equals(DataTypes.StringType))) {
      throw new IllegalArgumentException("SequenceForecaster: series column '" + series + "' must be an existing"
          + " string column");
    }
    return out;
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    StructType outSchema = transformSchema(dataset.schema());
    ModelRef model = ModelRef.resolve($(modelPath()), dataset.sparkSession().sparkContext().hadoopConfiguration());
    if (!TimeSeriesTokenizer.NAME.equals(model.tokenizerDescription().get("name"))) {
      throw new IllegalArgumentException("SequenceForecaster: " + model.zip() + " was trained with the '"
          + model.tokenizerDescription().get("name") + "' tokenizer, not on time series");
    }
    int column = dataset.schema().fieldIndex($(inputCol()));
    int seriesColumn = $(seriesCol).isEmpty() ? -1 : dataset.schema().fieldIndex($(seriesCol));
    ForecastSettings base = new ForecastSettings((Integer) $(horizon), (Integer) $(samples), (Double) $(temperature),
        (Integer) $(topK), (Long) $(seed), ForecastSettings.Quantiles.parse($(quantiles)));
    int h = base.horizon();
    int s = base.samples();
    double temp = base.temperature();
    int k = base.topK();
    long sd = base.seed();
    ForecastSettings.Quantiles q = base.quantiles();
    JavaRDD<Row> rows = dataset.toDF().javaRDD().mapPartitions(
        part -> forecasted(part, model, column, seriesColumn, h, s, temp, k, sd, q));
    return dataset.sparkSession().createDataFrame(rows, outSchema);
  }

  /** The rows of a partition with their forecasts appended, lazily; one decode engine per partition. */
  private static Iterator<Row> forecasted(Iterator<Row> part, ModelRef model, int column, int seriesColumn, int h,
                                          int s, double temperature, int topK, long seed,
                                          ForecastSettings.Quantiles quantiles) {
    return new Iterator<>() {
      private DecodeEngine engine;
      private Forecaster forecaster;

      @Override
      public boolean hasNext() {
        boolean more = part.hasNext();
        if (!more && engine != null) {
          engine.close();
          engine = null;
        }
        return more;
      }

      @Override
      public Row next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        if (engine == null) {
          try (ModelCache.Lease lease = ModelCache.borrow(model)) {
            engine = new DecodeEngine(lease.net(), Math.min(s, 32), lease.config().seqLen());
            forecaster = new Forecaster(engine, (TimeSeriesTokenizer) lease.tokenizer());
          }
        }
        Row row = part.next();
        List<Object> v = valuesOf(row, 3);
        double[] context = context(row, column);
        String reason = null;
        Forecast f = null;
        if (context == null || context.length == 0) {
          reason = "empty: no context";
        } else {
          long rowSeed = seriesColumn >= 0 && !row.isNullAt(seriesColumn)
              ? SeriesForecastPass.seriesSeed(seed, row.getString(seriesColumn))
              : Forecaster.pathSeed(seed, Arrays.hashCode(context));
          try {
            f = forecaster.forecast(context, new ForecastSettings(h, s, temperature, topK, rowSeed, quantiles));
          } catch (IllegalArgumentException e) {
            reason = "bad-context: " + e.getMessage();
          }
        }
        if (f == null) {
          v.add(null);
          v.add(null);
        } else {
          v.add(interleaved(f.median()));
          List<double[]> q = new ArrayList<>();
          for (double[][] level : f.quantiles()) {
            q.add(interleaved(level));
          }
          v.add(q.toArray(new double[0][]));
        }
        v.add(reason);
        return RowFactory.create(v.toArray());
      }
    };
  }

  /** The context's values, null cells as NaN; null for a null array. */
  private static double[] context(Row row, int column) {
    if (row.isNullAt(column)) {
      return null;
    }
    List<Double> xs = row.getList(column);
    double[] c = new double[xs.size()];
    for (int i = 0; i < c.length; i++) {
      Double x = xs.get(i);
      c[i] = x == null ? Double.NaN : x;
    }
    return c;
  }

  /** [V][H] to the interleaved [H * V] layout of the context. */
  private static double[] interleaved(double[][] byVariable) {
    int v = byVariable.length;
    int h = byVariable[0].length;
    double[] out = new double[v * h];
    for (int j = 0; j < v; j++) {
      for (int t = 0; t < h; t++) {
        out[t * v + j] = byVariable[j][t];
      }
    }
    return out;
  }

  /** Spark ML's reader of a saved SequenceForecaster. */
  public static MLReader<SequenceForecaster> read() {
    return new DefaultParamsReader<>();
  }

  /** Loads a SequenceForecaster saved with {@code write().save(path)}. */
  public static SequenceForecaster load(String path) {
    return read().load(path);
  }
}
