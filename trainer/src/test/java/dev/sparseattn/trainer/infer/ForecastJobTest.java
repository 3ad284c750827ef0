package dev.sparseattn.trainer.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.config.ConfigError;
import dev.sparseattn.datasets.config.DataError;
import dev.sparseattn.datasets.config.JobArgs;
import dev.sparseattn.datasets.tokenize.TimeSeriesTokenizer;
import dev.sparseattn.trainer.forecast.ForecastSettings;
import dev.sparseattn.trainer.forecast.Forecaster;
import dev.sparseattn.trainer.generate.DecodeEngine;
import dev.sparseattn.trainer.io.ModelArchive;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.attention.AttentionSpec;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import dev.sparseattn.trainer.infer.ml.SequenceForecaster;
import org.apache.parquet.example.data.Group;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * The forecast job with real Spark on raw CSV (two files, three series of two variables, a gap, a bad row): its
 * median and deciles equal the {@link Forecaster} called directly on each series' last N steps with the same seed; 1
 * and 2 tasks give identical output; the bad row is quarantined and the CSV rows are accounted for; a model that is
 * not a time-series model, or a context too long for it, fails before any Spark job naming the key; the Spark ML
 * {@link SequenceForecaster} adds the same forecasts as columns and round-trips through a saved PipelineModel.
 */
class ForecastJobTest {
  private static final TimeSeriesTokenizer TOK =
      new TimeSeriesTokenizer(new TimeSeriesTokenizer.Options(61, -15, 15, 2, 4));
  private static final int N = 10;
  private static final int H = 4;
  @TempDir static Path tmp;
  static Path model;
  static Path csv;
  /** series -> its values in file order, interleaved (x, y per step; NaN where missing). */
  static final Map<String, List<double[]>> SERIES = new TreeMap<>();

  @BeforeAll
  static void setUp() throws Exception {
    TransformerConfig arch = new TransformerConfig(TOK.vocabSize(), 64, 16, 2, 2, 32, 11)
        .withAttention(AttentionSpec.slidingWindow(8, true));
    MultiLayerNetwork net = TransformerLM.build(arch, new NoOp(), DataType.DOUBLE);
    Nd4j.getRandom().setSeed(11);
    net.setParams(Nd4j.randn(DataType.DOUBLE, 1, net.numParams()).muli(0.5));
    model = tmp.resolve("ts-model");
    Files.createDirectories(model);
    File zip = model.resolve("model.zip").toFile();
    TransformerLM.save(net, arch, zip, false);
    ModelArchive.writeTokenizer(zip, TOK.describe());

    csv = tmp.resolve("csv");
    Files.createDirectories(csv);
    StringBuilder a = new StringBuilder("date,station,x,y\n");
    StringBuilder b = new StringBuilder("date,station,x,y\n");
    series(a, "s1", 23, 12, 5, -1);
    series(a, "s2", 9, 3, 0.5, 6);                                  // shorter than the context
    series(b, "s3", 31, 100, 20, 17);
    b.append("2024-02-15,s4,not-a-number,1\n");                     // quarantined (non-numeric)
    series(b, "s4", 15, -4, 1, 2);
    Files.writeString(csv.resolve("a.csv"), a);
    Files.writeString(csv.resolve("b.csv"), b);
  }

  /** {@code steps} daily rows from 2024-01-01, step 7 of each series missing (a masked gap). */
  private static void series(StringBuilder out, String name, int steps, double level, double amp, int phase) {
    List<double[]> values = SERIES.computeIfAbsent(name, k -> new ArrayList<>());
    for (int t = 0; t < steps; t++) {
      if (t == 7) {
        values.add(new double[] {Double.NaN, Double.NaN});
        continue;
      }
      double x = Math.round((level + amp * Math.sin(0.6 * t + phase)) * 100) / 100.0;
      double y = Math.round((level / 2 - amp * Math.cos(0.3 * t)) * 100) / 100.0;
      values.add(new double[] {x, y});
      out.append(java.time.LocalDate.of(2024, 1, 1).plusDays(t)).append(',').append(name).append(',').append(x)
          .append(',').append(y).append('\n');
    }
  }

  @AfterAll
  static void stopSpark() {
    InferFixture.spark("local[2]").stop();
  }

  private static ForecastConfig config(String out, String... more) {
    List<String> args = new ArrayList<>(List.of("forecast.model=\"" + model + "\"",
        "forecast.input=[\"" + csv.toUri() + "\"]", "forecast.output=\"" + tmp.resolve(out) + "\"",
        "forecast.context-steps=" + N, "forecast.horizon=" + H, "forecast.samples=7", "forecast.seed=5",
        "forecast.csv.time-column=date", "forecast.csv.series-column=station", "forecast.csv.value-columns=[x, y]",
        "forecast.csv.step=P1D"));
    args.addAll(List.of(more));
    return ForecastConfig.parse(JobArgs.parseOverrides(args));
  }

  /** "series/variable/step" -> record. */
  private static Map<String, Group> read(String out) throws Exception {
    Map<String, Group> m = new TreeMap<>();
    for (Group g : InferFixture.readParquet(tmp.resolve(out).resolve("forecasts"))) {
      m.put(g.getString("series", 0) + "/" + g.getString("variable", 0) + "/" + g.getInteger("step", 0), g);
    }
    return m;
  }

  @Test
  void forecastsEqualTheForecasterCalledDirectlyOnOneAndTwoTasks() throws Exception {
    SparkSession spark = InferFixture.spark("local[2]");
    Map<String, Object> summary = Forecast.run(config("fc-1", "forecast.partitions=1"), spark);
    Forecast.run(config("fc-2", "forecast.partitions=2"), spark);
    Map<String, Group> one = read("fc-1");
    Map<String, Group> two = read("fc-2");
    assertEquals(4 * 2 * H, one.size());
    assertEquals(one.keySet(), two.keySet());
    String[] cols = {"median", "q10", "q20", "q30", "q40", "q50", "q60", "q70", "q80", "q90"};
    for (String k : one.keySet()) {
      for (String c : cols) {
        assertEquals(one.get(k).getDouble(c, 0), two.get(k).getDouble(c, 0), 0.0, k + " " + c);
      }
    }
    TransformerLM.Loaded loaded = TransformerLM.load(model.resolve("model.zip").toFile(), false);
    try (DecodeEngine engine = new DecodeEngine(loaded.network(), 3, 64)) {
      Forecaster direct = new Forecaster(engine, TOK);
      for (Map.Entry<String, List<double[]>> e : SERIES.entrySet()) {
        List<double[]> steps = e.getValue();
        int n = Math.min(N, steps.size());
        double[] context = new double[2 * n];
        for (int i = 0; i < n; i++) {
          System.arraycopy(steps.get(steps.size() - n + i), 0, context, 2 * i, 2);
        }
        dev.sparseattn.trainer.forecast.Forecast f = direct.forecast(context, new ForecastSettings(H, 7, 1.0, 0,
            SeriesForecastPass.seriesSeed(5, e.getKey())));
        for (int v = 0; v < 2; v++) {
          for (int h = 0; h < H; h++) {
            Group g = one.get(e.getKey() + "/" + (v == 0 ? "x" : "y") + "/" + (h + 1));
            assertEquals(f.median()[v][h], g.getDouble("median", 0), 0.0, e.getKey());
            for (int l = 0; l < 9; l++) {
              assertEquals(f.quantiles()[l][v][h], g.getDouble(cols[l + 1], 0), 0.0, e.getKey() + " " + cols[l + 1]);
            }
            assertEquals(n, g.getInteger("context_steps", 0));
          }
        }
      }
    }
    Map<?, ?> records = (Map<?, ?>) summary.get("records");
    assertEquals(4L, records.get("series_forecast"));
    assertEquals((22L + 8 + 30 + 14) + 1, records.get("csv_rows"));            // rows of the series + the bad one
    assertEquals(Map.of("non-numeric", 1L), records.get("by_reason"));
    assertEquals((long) 4 * 2 * H, records.get("output_rows"));
  }

  @Test
  void aModelOrContextThatDoesNotFitFailsBeforeAnySparkJob() throws Exception {
    SparkSession spark = InferFixture.spark("local[2]");
    int jobs = spark.sparkContext().statusTracker().getJobIdsForGroup(null).length;
    DataError tooLong = assertThrows(DataError.class, () -> Forecast.run(config("long", "forecast.context-steps=29"),
        spark));
    assertTrue(tooLong.getMessage().startsWith("forecast.context-steps: 29 steps and a horizon of 4 do not fit the"
        + " model's 64 positions (2 per step): at most 28 context steps"), tooLong.getMessage());
    DataError vars = assertThrows(DataError.class, () -> Forecast.run(config("vars",
        "forecast.csv.value-columns=[x]"), spark));
    assertTrue(vars.getMessage().startsWith("forecast.csv.value-columns: the model forecasts 2 variables"),
        vars.getMessage());
    ConfigError quantiles = assertThrows(ConfigError.class, () -> config("q", "forecast.quantiles=mean"));
    assertTrue(quantiles.getMessage().startsWith("forecast.quantiles: must be one of [predictive, samples], got 'mean'"),
        quantiles.getMessage());
    Path textModel = InferFixture.shared().resolve("model");
    DataError text = assertThrows(DataError.class, () -> Forecast.run(config("text",
        "forecast.model=\"" + textModel + "\""), spark));
    assertTrue(text.getMessage().contains("was trained with the 'byte' tokenizer, not on time series"),
        text.getMessage());
    assertEquals(jobs, spark.sparkContext().statusTracker().getJobIdsForGroup(null).length);
    assertTrue(!Files.exists(tmp.resolve("long")) && !Files.exists(tmp.resolve("text"))
        && !Files.exists(tmp.resolve("q")));
  }

  @Test
  void sequenceForecasterAddsTheForecastersColumnsAndRoundTripsThroughSaveAndLoad() throws Exception {
    SparkSession spark = InferFixture.spark("local[2]");
    List<Row> in = new ArrayList<>();
    Map<String, double[]> contexts = new TreeMap<>();
    for (Map.Entry<String, List<double[]>> e : SERIES.entrySet()) {
      List<double[]> steps = e.getValue();
      int n = Math.min(N, steps.size());
      double[] context = new double[2 * n];
      for (int i = 0; i < n; i++) {
        System.arraycopy(steps.get(steps.size() - n + i), 0, context, 2 * i, 2);
      }
      contexts.put(e.getKey(), context);
      List<Double> boxed = new ArrayList<>();
      for (double x : context) {
        boxed.add(Double.isNaN(x) ? null : x);                      // a missing value as a null cell
      }
      in.add(RowFactory.create(e.getKey(), boxed));
    }
    in.add(RowFactory.create("none", null));
    StructType schema = new StructType().add("station", DataTypes.StringType)
        .add("context", DataTypes.createArrayType(DataTypes.DoubleType, true));
    Dataset<Row> frame = spark.createDataFrame(in, schema).repartition(2);
    SequenceForecaster stage = new SequenceForecaster().setModelPath(model.toString()).setSeriesCol("station")
        .setHorizon(H).setSamples(7).setSeed(5).setQuantiles("samples");
    PipelineModel fitted = new Pipeline().setStages(new PipelineStage[] {stage}).fit(frame);
    String saved = tmp.resolve("forecaster-pipeline").toString();
    fitted.write().overwrite().save(saved);
    PipelineModel loaded = PipelineModel.load(saved);
    SequenceForecaster back = (SequenceForecaster) loaded.stages()[0];
    assertEquals(stage.extractParamMap().toString(), back.extractParamMap().toString());
    Map<String, Row> out = new TreeMap<>();
    for (Row r : loaded.transform(frame).collectAsList()) {
      out.put(r.getString(0), r);
    }
    assertEquals("empty: no context", out.get("none").getString(out.get("none").fieldIndex("forecast_error")));
    TransformerLM.Loaded net = TransformerLM.load(model.resolve("model.zip").toFile(), false);
    try (DecodeEngine engine = new DecodeEngine(net.network(), 3, 64)) {
      Forecaster direct = new Forecaster(engine, TOK);
      for (Map.Entry<String, double[]> e : contexts.entrySet()) {
        dev.sparseattn.trainer.forecast.Forecast f = direct.forecast(e.getValue(), new ForecastSettings(H, 7, 1.0, 0,
            SeriesForecastPass.seriesSeed(5, e.getKey()), ForecastSettings.Quantiles.SAMPLES));
        Row r = out.get(e.getKey());
        assertTrue(r.isNullAt(r.fieldIndex("forecast_error")));
        List<Double> median = r.getList(r.fieldIndex("forecast_median"));
        List<Object> deciles = r.getList(r.fieldIndex("forecast_quantiles"));
        assertEquals(2 * H, median.size());
        assertEquals(9, deciles.size());
        for (int h = 0; h < H; h++) {
          for (int v = 0; v < 2; v++) {
            assertEquals(f.median()[v][h], median.get(h * 2 + v), 0.0, e.getKey());
            for (int l = 0; l < 9; l++) {
              scala.collection.Seq<?> level = (scala.collection.Seq<?>) deciles.get(l);
              assertEquals(f.quantiles()[l][v][h], (Double) level.apply(h * 2 + v), 0.0, e.getKey());
            }
          }
        }
      }
    }
  }
}
