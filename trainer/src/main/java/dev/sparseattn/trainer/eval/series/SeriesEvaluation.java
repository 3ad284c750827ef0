package dev.sparseattn.trainer.eval.series;

import dev.sparseattn.trainer.eval.forecast.ForecastComparison.VariableScores;
import dev.sparseattn.trainer.forecast.ForecastSettings;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The result of {@code evaluate} on a time-series dataset: every method's rolling-origin forecast scores over the
 * held-out period, per variable and horizon step, in original units; rendered as {@code evaluation.json} and as
 * markdown tables a README can include verbatim.
 *
 * @param dataset   the prepared dataset's location
 * @param series    series evaluated
 * @param origins   forecast origins per series and variable (held-out steps forecast from)
 * @param keys      how it was forecast (horizon, context, samples, season, ...)
 * @param contextSteps the model's context in steps (N)
 * @param model     the model's description, null for the baselines alone
 * @param seconds   wall time of the model's forecasts
 * @param scores    method, then variable, to scores (Chronos' aggregation relative to seasonal naive)
 * @param quarantinedRows input rows the CSV reader quarantined, left out of the series as the prepare job leaves
 *                  them out
 */
public record SeriesEvaluation(String dataset, int series, int origins, ForecastKeys keys, int contextSteps,
                               String model, double seconds, Map<String, Map<String, VariableScores>> scores,
                               long quarantinedRows) {

    /** The JSON object written to {@code evaluation.json}. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("dataset", dataset);
        m.put("kind", "forecast");
        m.put("series", series);
        m.put("origins", origins);
        m.put("horizon", keys.horizon());
        m.put("context_steps", contextSteps);
        m.put("samples", keys.samples());
        m.put("quantiles", keys.quantiles().key());
        m.put("season", keys.season());
        m.put("baseline_context_steps", keys.baselineContext());
        m.put("seed", keys.seed());
        m.put("quarantined_rows", quarantinedRows);
        if (model != null) {
            m.put("model", model);
            m.put("model_seconds", seconds);
        }
        Map<String, Object> methods = new LinkedHashMap<>();
        scores.forEach((method, perVariable) -> {
            Map<String, Object> vars = new LinkedHashMap<>();
            perVariable.forEach((variable, s) -> {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("mae", list(s.mae()));
                r.put("mase", list(s.mase()));
                r.put("wql", list(s.wql()));
                r.put("relative_mase", finite(s.relativeMase()));
                r.put("relative_wql", finite(s.relativeWql()));
                r.put("cases", s.series());
                vars.put(variable, r);
            });
            methods.put(method, vars);
        });
        m.put("methods", methods);
        return m;
    }

    /** The model's (or a method's) MAE of a variable at step {@code h} (1-based). */
    public double mae(String method, String variable, int h) {
        return scores.get(method).get(variable).mae()[h - 1];
    }

    /** One markdown table per variable: methods as rows; MAE per step (up to 3, then the mean), MASE, WQL. */
    public String toMarkdown() {
        StringBuilder b = new StringBuilder();
        int h = keys.horizon();
        b.append(String.format(Locale.ROOT, "Rolling-origin forecasts of %s: %d series x %d origins (every%s held-out"
                + " step), %d-step horizon, model context %d steps, baselines' %s, %d sampled paths (point = median of the %s), season %d;"
                + " MASE and WQL (0.1-0.9) per step averaged over steps; relative = the series' score (all origins"
                + " pooled) over seasonal naive's, geometric mean across series (Chronos).%n", dataset, series, origins,
                keys.originEvery() == 1 ? "" : " " + keys.originEvery() + "th", h, contextSteps,
                keys.baselineContext() == 0 ? "the whole history" : keys.baselineContext() + " steps", keys.samples(),
                keys.quantiles() == ForecastSettings.Quantiles.SAMPLES ? "paths"
                        : "paths' sampling distributions: exact for the first value", keys.season()));
        if (quarantinedRows > 0) {
            b.append(String.format(Locale.ROOT, "%d input rows the CSV reader quarantines are left out, as in the"
                    + " prepared dataset.%n", quarantinedRows));
        }
        String first = scores.keySet().iterator().next();
        for (String variable : scores.get(first).keySet()) {
            b.append("\n**").append(variable).append("**\n\n| method |");
            int shown = Math.min(h, 3);
            for (int s = 1; s <= shown; s++) {
                b.append(" MAE h=").append(s).append(" |");
            }
            if (h > shown) {
                b.append(" MAE mean |");
            }
            b.append(" MASE | WQL | rel. MASE | rel. WQL |\n| --- |");
            b.append(" ---: |".repeat(shown + (h > shown ? 1 : 0) + 4)).append('\n');
            scores.forEach((method, perVariable) -> {
                VariableScores s = perVariable.get(variable);
                b.append("| ").append(method).append(" |");
                for (int k = 0; k < shown; k++) {
                    b.append(String.format(Locale.ROOT, " %.3f |", s.mae()[k]));
                }
                if (h > shown) {
                    b.append(String.format(Locale.ROOT, " %.3f |", mean(s.mae())));
                }
                b.append(String.format(Locale.ROOT, " %.3f | %.4f | %.3f | %.3f |%n", mean(s.mase()), mean(s.wql()),
                        s.relativeMase(), s.relativeWql()));
            });
        }
        if (model != null) {
            b.append(String.format(Locale.ROOT, "%nModel: %s; its forecasts took %.1f s.%n", model, seconds));
        }
        return b.toString();
    }

    private static double mean(double[] x) {
        double s = 0;
        int n = 0;
        for (double v : x) {
            if (!Double.isNaN(v)) {
                s += v;
                n++;
            }
        }
        return n == 0 ? Double.NaN : s / n;
    }

    private static List<Object> list(double[] x) {
        return java.util.Arrays.stream(x).mapToObj(SeriesEvaluation::finite).toList();
    }

    private static Object finite(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
