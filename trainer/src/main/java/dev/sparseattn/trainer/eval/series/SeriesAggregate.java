package dev.sparseattn.trainer.eval.series;

import dev.sparseattn.trainer.eval.forecast.ForecastComparison.SeriesCase;
import dev.sparseattn.trainer.eval.forecast.ForecastComparison.VariableScores;
import dev.sparseattn.trainer.eval.forecast.ForecastMetrics;
import dev.sparseattn.trainer.eval.forecast.NaiveForecasters;
import dev.sparseattn.trainer.eval.forecast.QuantileForecast;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Chronos' aggregation (Ansari et al. 2024, section 5.2) for rolling-origin forecasts: a series' score pools all its
 * origins (MASE: the mean absolute error over every origin and step over the seasonal naive in-sample error of the
 * history before the first origin; WQL: pinball losses and |y| summed over every origin and step), relative to
 * seasonal naive's on the same series, then the geometric mean across series. Scoring each origin as a series of
 * its own would let one exact one-step forecast make the geometric mean 0.
 */
final class SeriesAggregate {
    private SeriesAggregate() {}

    /**
     * The scores with their relative MASE and WQL replaced by the per-series pooled ones.
     *
     * @param seriesOf the series index of every case
     */
    static Map<String, Map<String, VariableScores>> pooled(List<SeriesCase> cases, int[] seriesOf,
                                                           Map<String, List<QuantileForecast>> methods,
                                                           Map<String, Map<String, VariableScores>> scores,
                                                           String reference) {
        Map<String, List<Integer>> groups = new LinkedHashMap<>();                 // "variable\0series" -> cases
        for (int i = 0; i < cases.size(); i++) {
            groups.computeIfAbsent(cases.get(i).variable() + "\0" + seriesOf[i], k -> new ArrayList<>()).add(i);
        }
        Map<String, Map<String, VariableScores>> out = new LinkedHashMap<>();
        scores.forEach((method, perVariable) -> {
            Map<String, VariableScores> vars = new LinkedHashMap<>();
            perVariable.forEach((variable, s) -> {
                List<double[]> mine = new ArrayList<>();
                List<double[]> ref = new ArrayList<>();
                groups.forEach((key, idx) -> {
                    if (key.startsWith(variable + "\0")) {
                        mine.add(seriesScores(cases, idx, methods.get(method)));
                        ref.add(seriesScores(cases, idx, methods.get(reference)));
                    }
                });
                vars.put(variable, new VariableScores(s.mae(), s.mase(), s.wql(),
                        ForecastMetrics.relativeGeometricMean(column(mine, 0), column(ref, 0)),
                        ForecastMetrics.relativeGeometricMean(column(mine, 1), column(ref, 1)), mine.size()));
            });
            out.put(method, vars);
        });
        return out;
    }

    /** {MASE, WQL} of one series: every origin's steps pooled. */
    private static double[] seriesScores(List<SeriesCase> cases, List<Integer> idx, List<QuantileForecast> f) {
        int total = 0;
        for (int i : idx) {
            total += cases.get(i).actual().length;
        }
        double[] actual = new double[total];
        double[] point = new double[total];
        int levels = f.get(idx.get(0)).levels().length;
        double[][] q = new double[levels][total];
        int at = 0;
        for (int i : idx) {
            double[] a = cases.get(i).actual();
            QuantileForecast fi = f.get(i);
            System.arraycopy(a, 0, actual, at, a.length);
            System.arraycopy(fi.point(), 0, point, at, a.length);
            for (int l = 0; l < levels; l++) {
                System.arraycopy(fi.quantiles()[l], 0, q[l], at, a.length);
            }
            at += a.length;
        }
        QuantileForecast pooled = new QuantileForecast(point, f.get(idx.get(0)).levels(), q);
        SeriesCase first = cases.get(idx.get(0));
        double scale = NaiveForecasters.seasonalScale(first.context(), first.season());
        return new double[] {scale > 0 ? ForecastMetrics.mae(actual, pooled) / scale : Double.NaN,
            ForecastMetrics.wql(actual, pooled)};
    }

    private static double[] column(List<double[]> rows, int c) {
        return rows.stream().mapToDouble(r -> r[c]).toArray();
    }
}
