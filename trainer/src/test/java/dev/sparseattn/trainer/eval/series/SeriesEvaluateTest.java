package dev.sparseattn.trainer.eval.series;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparseattn.datasets.config.ConfigError;
import dev.sparseattn.datasets.config.JobArgs;
import dev.sparseattn.datasets.manifest.InputInfo;
import dev.sparseattn.datasets.manifest.Manifest;
import dev.sparseattn.datasets.manifest.SplitInfo;
import dev.sparseattn.datasets.tokenize.TimeSeriesTokenizer;
import dev.sparseattn.trainer.eval.Evaluate;
import dev.sparseattn.trainer.eval.EvaluateConfig;
import dev.sparseattn.trainer.forecast.Forecast;
import dev.sparseattn.trainer.forecast.Forecaster;
import dev.sparseattn.trainer.generate.DecodeEngine;
import dev.sparseattn.trainer.model.SingleThreadNd4j;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.attention.AttentionSpec;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * {@code Evaluate} on a time-series dataset (the CO2 fixture, ten years of Mauna Loa months with gaps, both columns
 * interleaved; the last 24 months held out) with a tiny random model: the baselines' and the model's MAE equal
 * rolling-origin forecasts recomputed here from the CSV (persistence by hand, the model by {@link Forecaster} with
 * the same seeds), forecasts past the held-out period are not scored, the outputs (JSON, markdown, a fan chart PNG)
 * are written, and a context the model cannot hold fails naming the key.
 */
@ExtendWith(SingleThreadNd4j.class)
class SeriesEvaluateTest {
    @TempDir static Path tmp;
    static Path csv;
    static TimeSeriesTokenizer tok;
    static MultiLayerNetwork net;
    static Path data;
    static Path model;

    @BeforeAll
    static void datasetAndModel() throws Exception {
        csv = Paths.get(System.getProperty("project.root.dir", ".."), "data/fixtures/co2-concentration-1958-1967.csv");
        tok = new TimeSeriesTokenizer(new TimeSeriesTokenizer.Options(64, 0.85, 1.15, 2, 6));
        data = writeDataset(tmp.resolve("data"), tok, 24, "interleaved");
        TransformerConfig c = new TransformerConfig(tok.vocabSize(), 64, 16, 2, 1, 32, 3)
                .withAttention(AttentionSpec.denseCausal());
        net = TransformerLM.build(c, new NoOp(), DataType.DOUBLE);
        Nd4j.getRandom().setSeed(3);
        net.setParams(Nd4j.randn(DataType.DOUBLE, 1, net.numParams()).muli(0.3));
        model = tmp.resolve("model");
        Files.createDirectories(model);
        TransformerLM.save(net, c, model.resolve("model.zip").toFile());
    }

    /** A manifest as the prepare job writes for {@code csv} (no shards: the evaluation reads the CSV). */
    static Path writeDataset(Path dir, TimeSeriesTokenizer tok, int validationPeriod, String layout) throws Exception {
        return writeDataset(dir, tok, validationPeriod, 0, layout);
    }

    /** The same with a test period after the validation period. */
    static Path writeDataset(Path dir, TimeSeriesTokenizer tok, int validationPeriod, int testPeriod, String layout)
            throws Exception {
        Map<String, Object> csvKeys = new LinkedHashMap<>();
        csvKeys.put("time-column", "Date");
        csvKeys.put("series-column", "");
        csvKeys.put("value-columns", List.of("CO2", "adjusted CO2"));
        csvKeys.put("step", "P1M");
        csvKeys.put("window", 24);
        csvKeys.put("stride", 1);
        csvKeys.put("layout", layout);
        Map<String, Object> prepare = new LinkedHashMap<>();
        prepare.put("format", "csv");
        prepare.put("validation-period", validationPeriod);
        prepare.put("test-period", testPeriod);
        prepare.put("csv", csvKeys);
        SplitInfo empty = new SplitInfo(0, 0, 0, List.of(), new long[tok.vocabSize()]);
        Manifest m = new Manifest(Manifest.SCHEMA_VERSION, "SeriesEvaluateTest", tok.describe(), 32, "window", 0,
                Files.size(csv), 0, 1, List.of(new InputInfo(csv.toUri().toString(), 0, Files.size(csv))),
                Map.of("train", empty, "validation", empty), prepare, "csv", null);
        Files.createDirectories(dir);
        m.write(dir.toUri().toString(), new Configuration());
        return dir;
    }

    static EvaluateConfig config(Path dataDir, String out, String... more) {
        List<String> args = new ArrayList<>(List.of("evaluate.data=\"" + dataDir.toUri() + "\"",
                "evaluate.output=\"" + tmp.resolve(out) + "\"", "evaluate.model=\"" + model + "\""));
        args.addAll(List.of(more));
        return EvaluateConfig.parse(JobArgs.parseOverrides(args));
    }

    /** The fixture's CO2 column on the monthly grid, NaN for the missing months. */
    static double[] co2() throws Exception {
        List<String> lines = Files.readAllLines(csv);
        YearMonth first = YearMonth.parse(lines.get(1).substring(0, 7));
        YearMonth last = YearMonth.parse(lines.get(lines.size() - 1).substring(0, 7));
        double[] y = new double[(int) (first.until(last, java.time.temporal.ChronoUnit.MONTHS) + 1)];
        Arrays.fill(y, Double.NaN);
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",");
            y[(int) first.until(YearMonth.parse(f[0].substring(0, 7)), java.time.temporal.ChronoUnit.MONTHS)] =
                    Double.parseDouble(f[1]);
        }
        return y;
    }

    @Test
    void scoresEqualRollingForecastsRecomputedFromTheCsv() throws Exception {
        SeriesEvaluation e = Evaluate.runSeries(config(data, "eval", "evaluate.forecast.horizon=2",
                "evaluate.forecast.samples=5", "evaluate.forecast.season=12", "evaluate.forecast.context=10"));
        double[] y = co2();
        int n = y.length;
        assertTrue(Arrays.stream(y).anyMatch(Double::isNaN), "the fixture has missing months");
        assertEquals(24, e.origins());
        // persistence, step 1 and step 2 (step 2 of the last origin lies past the held-out period: not scored)
        double[] sum = new double[2];
        int[] count = new int[2];
        for (int o = n - 24; o < n; o++) {
            int last = o - 1;
            while (Double.isNaN(y[last])) {
                last--;
            }
            for (int k = 0; k < 2 && o + k < n; k++) {
                if (!Double.isNaN(y[o + k])) {
                    sum[k] += Math.abs(y[o + k] - y[last]);
                    count[k]++;
                }
            }
        }
        assertEquals(sum[0] / count[0], e.mae("persistence", "CO2", 1), 1e-12);
        assertEquals(sum[1] / count[1], e.mae("persistence", "CO2", 2), 1e-12);

        // the model: the same forecasts made here with the Forecaster and the evaluation's seeds
        double[] modelSum = new double[2];
        double[] values = interleaved(y);
        try (DecodeEngine engine = new DecodeEngine(net, 5, 24)) {
            Forecaster f = new Forecaster(engine, tok);
            for (int o = n - 24; o < n; o++) {
                Forecast fc = f.forecast(Arrays.copyOfRange(values, 2 * (o - 10), 2 * o),
                        SeriesEvaluate.settings(e.keys(), 0, o));
                for (int k = 0; k < 2 && o + k < n; k++) {
                    if (!Double.isNaN(y[o + k])) {
                        modelSum[k] += Math.abs(y[o + k] - fc.median()[0][k]);
                    }
                }
            }
        }
        assertEquals(modelSum[0] / count[0], e.mae(SeriesEvaluate.MODEL, "CO2", 1), 1e-9);
        assertEquals(modelSum[1] / count[1], e.mae(SeriesEvaluate.MODEL, "CO2", 2), 1e-9);

        JsonNode json = new ObjectMapper().readTree(tmp.resolve("eval/evaluation.json").toFile());
        assertEquals(e.mae(SeriesEvaluate.MODEL, "CO2", 1), json.at("/methods/model/CO2/mae/0").asDouble(), 0);
        assertEquals(1.0, json.at("/methods/seasonal naive/CO2/relative_mase").asDouble(), 0);
        String md = Files.readString(tmp.resolve("eval/evaluation.md"));
        assertTrue(md.contains("| seasonal naive + trend |") && md.contains("**adjusted CO2**"), md);
        BufferedImage png = ImageIO.read(tmp.resolve("eval/fan-CO2.png").toFile());
        assertEquals(1000, png.getWidth());
    }

    /** CO2 and the adjusted column, interleaved, from the CSV (the adjusted one read the same way). */
    private static double[] interleaved(double[] co2) throws Exception {
        List<Series> s = SeriesCsv.read(dev.sparseattn.datasets.manifest.PreparedDataset.open(data.toUri().toString(),
                new Configuration()));
        assertEquals(1, s.size());
        double[] v = s.get(0).values();
        for (int t = 0; t < co2.length; t++) {
            assertEquals(co2[t], v[2 * t], 0, "step " + t);                // the reader agrees with the CSV
        }
        return v;
    }

    @Test
    void separateLayoutForecastsEachVariableAlone() throws Exception {
        TimeSeriesTokenizer single = new TimeSeriesTokenizer(new TimeSeriesTokenizer.Options(64, 0.85, 1.15, 1, 6));
        TransformerConfig c = new TransformerConfig(single.vocabSize(), 64, 16, 2, 1, 32, 3);
        assertEquals(tok.vocabSize(), c.vocabSize());             // the same model reads either layout's ids
        Path sep = writeDataset(tmp.resolve("separate"), single, 12, "separate");
        SeriesEvaluation e = Evaluate.runSeries(config(sep, "sep", "evaluate.forecast.samples=3",
                "evaluate.forecast.context=8"));
        assertEquals(12, e.origins());
        assertTrue(Double.isFinite(e.mae(SeriesEvaluate.MODEL, "adjusted CO2", 1)));
    }

    @Test
    void aContextTheModelCannotHoldFailsNamingTheKey() {
        ConfigError err = assertThrows(ConfigError.class, () -> Evaluate.runSeries(config(data, "long",
                "evaluate.forecast.context=40")));
        assertTrue(err.getMessage().contains("evaluate.forecast.context"), err.getMessage());
        ConfigError unknown = assertThrows(ConfigError.class, () -> config(data, "u", "evaluate.forecast.sample=3"));
        assertTrue(unknown.getMessage().contains("evaluate.forecast.sample"), unknown.getMessage());
    }

    @Test
    void baselinesAloneWithoutAModel() throws Exception {
        SeriesEvaluation e = Evaluate.runSeries(EvaluateConfig.parse(JobArgs.parseOverrides(List.of(
                "evaluate.data=\"" + data.toUri() + "\"", "evaluate.output=\"" + tmp.resolve("base") + "\"",
                "evaluate.forecast.season=12"))));
        assertEquals(List.of("persistence", "seasonal naive", "seasonal naive + trend"), List.copyOf(e.scores().keySet()));
        assertTrue(new File(tmp.resolve("base/evaluation.md").toString()).length() > 0);
    }

    @Test
    void theTestSplitForecastsTheTestPeriodAndIsRefusedWithoutOne() throws Exception {
        Path both = writeDataset(tmp.resolve("data-test"), tok, 12, 12, "interleaved");
        double[] y = co2();
        int n = y.length;
        SeriesEvaluation test = Evaluate.runSeries(config(both, "eval-test", "evaluate.split=test",
                "evaluate.forecast.horizon=1", "evaluate.forecast.samples=2", "evaluate.forecast.context=8"));
        SeriesEvaluation validation = Evaluate.runSeries(config(both, "eval-val", "evaluate.forecast.horizon=1",
                "evaluate.forecast.samples=2", "evaluate.forecast.context=8"));
        assertEquals(12, test.origins());
        assertEquals(12, validation.origins());
        // persistence one step ahead over each period, by hand: the last observed value before the origin
        for (boolean isTest : new boolean[] {true, false}) {
            int from = isTest ? n - 12 : n - 24;
            double sum = 0;
            int count = 0;
            for (int o = from; o < from + 12; o++) {
                int last = o - 1;
                while (Double.isNaN(y[last])) {
                    last--;
                }
                if (!Double.isNaN(y[o])) {
                    sum += Math.abs(y[o] - y[last]);
                    count++;
                }
            }
            SeriesEvaluation e = isTest ? test : validation;
            assertEquals(sum / count, e.mae("persistence", "CO2", 1), 1e-9, isTest ? "test period" : "validation");
        }
        ConfigError none = assertThrows(ConfigError.class, () -> Evaluate.runSeries(config(data, "no-test",
                "evaluate.split=test")));
        assertTrue(none.getMessage().contains("evaluate.split"), none.getMessage());
    }
}
