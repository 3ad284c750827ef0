package dev.sparseattn.trainer.forecast;

import dev.sparseattn.datasets.tokenize.TimeSeriesTokenizer;
import dev.sparseattn.trainer.eval.forecast.QuantileForecast;
import java.util.Arrays;

/**
 * The sampled future of one series, in original units. Layout of a path: interleaved, every variable of a step in
 * the tokenizer's order, then the next step ({@code value(h, v) = path[h * variables + v]}).
 *
 * @param variables values per step
 * @param scales    the context's scale per variable (mean absolute observed value; what decoding multiplies by)
 * @param tokens    sampled token ids per path // [S][H * V]
 * @param paths     the tokens decoded to original units // [S][H * V]
 * @param levels    quantile levels, 0.1 .. 0.9 // [Q]
 * @param quantiles per level, variable and step: of the predictive distribution or of the paths, as
 *                  {@link ForecastSettings#quantiles()} chose // [Q][V][H]
 */
public record Forecast(int variables, double[] scales, int[][] tokens, double[][] paths, double[] levels,
                       double[][][] quantiles) {

    /** The levels of every forecast: Chronos' 0.1, 0.2, ..., 0.9 (0.5 is the median). */
    public static final double[] LEVELS = QuantileForecast.DECILES;

    /** Steps per path. */
    public int horizon() {
        return paths[0].length / variables;
    }

    /** The median (the point forecast) of every variable and step // [V][H]. */
    public double[][] median() {
        int q = Arrays.binarySearch(levels, 0.5);
        return quantiles[q];
    }

    /** One variable's forecast (point = median) for the {@code eval.forecast} metrics. */
    public QuantileForecast of(int variable) {
        double[][] q = new double[levels.length][];
        for (int l = 0; l < levels.length; l++) {
            q[l] = quantiles[l][variable];
        }
        return new QuantileForecast(median()[variable], levels, q);
    }

    /** Quantiles of the paths: linear interpolation between order statistics (position {@code level * (S - 1)}). */
    static Forecast of(int variables, double[] scales, int[][] tokens, double[][] paths) {
        int s = paths.length;
        int hv = paths[0].length;
        double[][][] quantiles = new double[LEVELS.length][variables][hv / variables];
        double[] column = new double[s];
        for (int i = 0; i < hv; i++) {
            for (int p = 0; p < s; p++) {
                column[p] = paths[p][i];
            }
            Arrays.sort(column);
            for (int l = 0; l < LEVELS.length; l++) {
                double pos = LEVELS[l] * (s - 1);
                int lo = (int) Math.floor(pos);
                int hi = Math.min(s - 1, lo + 1);
                quantiles[l][i % variables][i / variables] = column[lo] + (pos - lo) * (column[hi] - column[lo]);
            }
        }
        return new Forecast(variables, scales, tokens, paths, LEVELS.clone(), quantiles);
    }

    /**
     * Quantiles of distributions over the value bins: level {@code q} of value {@code i} is the centre of the
     * first bin where the cumulative probability of {@code mixture[i]} reaches {@code q} (the quantile of the
     * discrete distribution, what the paths' order statistics tend to as the paths grow in number), times its
     * variable's scale.
     *
     * @param mixture per value of a path, probabilities over the bins summing to 1 // [H * V][bins]
     */
    static Forecast predictive(int variables, double[] scales, int[][] tokens, double[][] paths,
                               double[][] mixture, TimeSeriesTokenizer tokenizer) {
        int hv = mixture.length;
        double[][][] quantiles = new double[LEVELS.length][variables][hv / variables];
        for (int i = 0; i < hv; i++) {
            double[] p = mixture[i];
            double total = 0;
            for (double x : p) {
                total += x;
            }
            int bin = 0;
            double cumulative = p[0];
            for (int l = 0; l < LEVELS.length; l++) {
                double target = LEVELS[l] * total;
                while (cumulative < target && bin < p.length - 1) {
                    cumulative += p[++bin];
                }
                quantiles[l][i % variables][i / variables] = tokenizer.centre(bin) * scales[i % variables];
            }
        }
        return new Forecast(variables, scales, tokens, paths, LEVELS.clone(), quantiles);
    }
}
