package dev.sparseattn.trainer.eval.series;

import dev.sparseattn.datasets.config.ConfigError;
import dev.sparseattn.datasets.config.DataError;
import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.datasets.tokenize.TimeSeriesTokenizer;
import dev.sparseattn.trainer.eval.forecast.ForecastComparison;
import dev.sparseattn.trainer.eval.forecast.ForecastComparison.SeriesCase;
import dev.sparseattn.trainer.eval.forecast.QuantileForecast;
import dev.sparseattn.trainer.forecast.Forecast;
import dev.sparseattn.trainer.forecast.ForecastSettings;
import dev.sparseattn.trainer.forecast.Forecaster;
import dev.sparseattn.trainer.generate.DecodeEngine;
import dev.sparseattn.trainer.io.ModelDirectory;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import dev.sparseattn.trainer.report.FanChart;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Rolling-origin evaluation of a time-series dataset's held-out period (the validation split's steps): from every
 * held-out step as origin (or every {@code origin-every}-th), the model forecasts the next {@code horizon} steps
 * from the {@code context} observed steps before the origin (held-out steps before the origin count as observed), and
 * so do persistence, seasonal naive and seasonal naive + trend from the whole history before it. Actual values past
 * the held-out period are not scored. Scores in original units per variable and step, aggregated as Chronos does
 * ({@link SeriesAggregate}: per series over all its origins, relative to seasonal naive, geometric mean across
 * series); the model's step-1 forecasts of the first series are drawn as a fan chart per
 * variable ({@code fan-<variable>.png}). The series are read by {@link SeriesCsv}: rows the CSV reader quarantines
 * are left out as in the prepare job, and counted in the result.
 */
public final class SeriesEvaluate {
    private SeriesEvaluate() {}

    /** The name of the model's row. */
    public static final String MODEL = "model";

    /**
     * Evaluates {@code model} (null: the baselines alone) on {@code data}, writing the charts to {@code out}.
     *
     * @param keys the {@code evaluate.forecast} settings
     * @param split the held-out period forecast: the validation period (before any test period) or the test period
     */
    @SuppressWarnings("unchecked")
    public static SeriesEvaluation run(PreparedDataset data, TransformerLM.Loaded model, ForecastKeys keys,
                                       Split split, ModelDirectory out) throws IOException {
        if (!(data.tokenizer() instanceof TimeSeriesTokenizer tok)) {
            throw new DataError("dataset " + data.dir() + " is not a time-series dataset");
        }
        Map<String, Object> prepare = data.manifest().prepareConfig();
        Map<String, Object> csv = (Map<String, Object>) prepare.get("csv");
        int validation = ((Number) prepare.get("validation-period")).intValue();
        int test = ((Number) prepare.getOrDefault("test-period", 0)).intValue();
        if (split == Split.TEST && test <= 0) {
            throw new ConfigError("evaluate.split", "the dataset " + data.dir() + " has no test period: prepare it"
                    + " with prepare.test-period > 0");
        }
        int window = ((Number) csv.get("window")).intValue();
        int contextSteps = keys.context() > 0 ? keys.context() : Math.max(1, window - tok.options().horizon());
        SeriesCsv.Read read = SeriesCsv.readCounted(data);
        List<Series> all = read.series();
        String[] names = all.get(0).variables();
        boolean interleaved = tok.options().variables() == names.length;
        if (!interleaved && tok.options().variables() != 1) {
            throw new DataError("the tokenizer reads " + tok.options().variables() + " variables a step, the CSV has "
                    + names.length + " value columns " + Arrays.toString(names));
        }
        int h = keys.horizon();

        List<SeriesCase> cases = new ArrayList<>();
        List<Integer> seriesOf = new ArrayList<>();
        List<QuantileForecast> modelForecasts = new ArrayList<>();
        Map<String, double[][]> fan = new LinkedHashMap<>();              // variable -> [Q][held-out steps] (series 0)
        int origins = 0;
        long t0 = System.nanoTime();
        try (DecodeEngine engine = model == null ? null : engine(model, keys, contextSteps, tok, interleaved)) {
            Forecaster interleavedForecaster = engine == null || !interleaved ? null : new Forecaster(engine, tok);
            Forecaster single = engine == null || interleaved ? null : new Forecaster(engine, tok);
            for (int si = 0; si < all.size(); si++) {
                Series s = all.get(si);
                int n = s.steps();
                int heldTo = split == Split.TEST ? n : n - Math.min(test, n);
                int heldFrom = Math.max(1, heldTo - (split == Split.TEST ? test : validation));
                double[][] history = new double[names.length][];
                for (int v = 0; v < names.length; v++) {
                    history[v] = s.variable(v);
                }
                int count = 0;
                for (int o = heldFrom; o < heldTo; o += keys.originEvery()) {
                    count++;
                    Forecast joint = null;
                    int from = Math.max(0, o - contextSteps);
                    if (interleavedForecaster != null) {
                        joint = interleavedForecaster.forecast(Arrays.copyOfRange(s.values(), from * names.length,
                                o * names.length), settings(keys, si, o));
                    }
                    for (int v = 0; v < names.length; v++) {
                        double[] actual = new double[h];
                        for (int k = 0; k < h; k++) {
                            actual[k] = o + k < heldTo ? history[v][o + k] : Double.NaN;
                        }
                        int past = keys.baselineContext() == 0 ? 0 : Math.max(0, o - keys.baselineContext());
                        cases.add(new SeriesCase(names[v], Arrays.copyOfRange(history[v], past, o), keys.season(),
                                actual));
                        seriesOf.add(si);
                        if (engine != null) {
                            QuantileForecast f = joint != null ? joint.of(v)
                                    : single.forecast(Arrays.copyOfRange(history[v], from, o),
                                            settings(keys, si * names.length + v, o)).of(0);
                            modelForecasts.add(f);
                            if (si == 0) {
                                double[][] q = fan.computeIfAbsent(names[v],
                                        k -> new double[Forecast.LEVELS.length][heldTo - heldFrom]);
                                for (int l = 0; l < q.length; l++) {
                                    q[l][o - heldFrom] = f.quantiles()[l][0];
                                }
                            }
                        }
                    }
                }
                origins = Math.max(origins, count);
                if (si == 0 && engine != null) {
                    fanCharts(out, s, names, heldFrom, heldTo, fan, keys.originEvery());
                }
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (cases.isEmpty()) {
            throw new DataError("dataset " + data.dir() + " has no held-out steps to forecast (" + split + " period "
                    + (split == Split.TEST ? test : validation) + ")");
        }
        Map<String, List<QuantileForecast>> methods = new LinkedHashMap<>();
        if (model != null) {
            methods.put(MODEL, modelForecasts);
        }
        methods.putAll(ForecastComparison.baselines(cases, Forecast.LEVELS));
        return new SeriesEvaluation(data.dir().toString(), all.size(), origins, keys, contextSteps,
                model == null ? null : describe(model.config()), model == null ? 0 : seconds,
                SeriesAggregate.pooled(cases, seriesOf.stream().mapToInt(Integer::intValue).toArray(), methods,
                        ForecastComparison.score(cases, methods), ForecastComparison.SEASONAL_NAIVE),
                read.quarantined());
    }

    /** Seeds differ per series (and variable) and origin, and repeat from run to run. */
    static ForecastSettings settings(ForecastKeys keys, int series, int origin) {
        long seed = Forecaster.pathSeed(Forecaster.pathSeed(keys.seed(), series), origin);
        return new ForecastSettings(keys.horizon(), keys.samples(), keys.temperature(), keys.topK(), seed,
                keys.quantiles());
    }

    private static DecodeEngine engine(TransformerLM.Loaded model, ForecastKeys keys, int contextSteps,
                                       TimeSeriesTokenizer tok, boolean interleaved) {
        int v = interleaved ? tok.options().variables() : 1;
        int length = (contextSteps + keys.horizon()) * v;
        TransformerConfig c = model.config();
        if (c.positions() != TransformerConfig.Positions.ROTARY && length > c.seqLen()) {
            throw new ConfigError("evaluate.forecast.context", contextSteps + " context steps and a horizon of "
                    + keys.horizon() + " need " + length + " tokens a path, more than the model's " + c.seqLen()
                    + " positions: give at most " + (c.seqLen() / v - keys.horizon()) + " context steps");
        }
        return new DecodeEngine(model.network(), Math.min(keys.samples(), 64), length);
    }

    private static void fanCharts(ModelDirectory out, Series s, String[] names, int heldFrom, int heldTo,
                                  Map<String, double[][]> fan, int every) throws IOException {
        int before = Math.min(heldFrom, Math.max(10, (heldTo - heldFrom) / 4));
        for (int v = 0; v < names.length; v++) {
            double[][] q = fan.get(names[v]);
            if (q == null) {
                continue;
            }
            if (every > 1) {                                    // steps not forecast: no band
                for (double[] row : q) {
                    for (int i = 0; i < row.length; i++) {
                        row[i] = i % every == 0 ? row[i] : Double.NaN;
                    }
                }
            }
            double[] observed = Arrays.copyOfRange(s.variable(v), heldFrom - before, heldTo);
            try (OutputStream o = out.create("fan-" + names[v].replaceAll("[^A-Za-z0-9_.-]", "_") + ".png")) {
                FanChart.write(o, "1-step-ahead forecasts of " + names[v] + (s.id().isEmpty() ? "" : " (" + s.id()
                        + ")") + " over the held-out period", s.times()[heldFrom - before].toLocalDate() + " .. "
                        + s.times()[heldTo - 1].toLocalDate() + " (dashed: first held-out step)", names[v], observed,
                        before, q);
            }
        }
    }

    private static String describe(TransformerConfig c) {
        return c.nLayers() + " layers, d " + c.dModel() + ", " + c.nHeads() + " heads";
    }
}
