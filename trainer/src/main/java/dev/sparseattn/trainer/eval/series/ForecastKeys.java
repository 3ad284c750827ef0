package dev.sparseattn.trainer.eval.series;

import dev.sparseattn.datasets.config.Section;
import dev.sparseattn.trainer.forecast.ForecastSettings;

/**
 * The {@code evaluate.forecast} keys: how a time-series dataset's held-out period is forecast.
 *
 * @param horizon     steps forecast from every origin (H)
 * @param context     steps of context the model reads (N); 0 = the dataset's window minus its horizon (what a
 *                    training window's scale was computed from)
 * @param samples     sampled paths per origin (S)
 * @param baselineContext steps of history the baselines (and the MASE scale) read before an origin; 0 = all of it
 * @param season      seasonal period in steps, for seasonal naive, seasonal naive + trend and the MASE scale
 * @param originEvery forecast from every k-th held-out step (1 = every step)
 * @param temperature sampling temperature
 * @param topK        sample among the k most likely bins, 0 = all
 * @param seed        seed of the sampled paths
 * @param quantiles   {@code predictive} (default: from the paths' sampling distributions, exact for the first value)
 *                    or {@code samples} (the paths' order statistics, as Chronos)
 */
public record ForecastKeys(int horizon, int context, int baselineContext, int samples, int season, int originEvery, double temperature,
                           int topK, long seed, ForecastSettings.Quantiles quantiles) {

    /** Reads the nested section {@code forecast} of {@code evaluate}. */
    public static ForecastKeys parse(Section evaluate) {
        Section s = evaluate.section("forecast");
        return new ForecastKeys(s.integer("horizon", 1, 1, 1 << 16), s.integer("context", 0, 0, 1 << 20),
                s.integer("baseline-context", 0, 0, 1 << 20),
                s.integer("samples", 20, 1, 4096), s.integer("season", 1, 1, 1 << 20),
                s.integer("origin-every", 1, 1, 1 << 20), s.number("temperature", 1.0, 1e-6, 100),
                s.integer("top-k", 0, 0, 1 << 20), s.longValue("seed", 1, Long.MIN_VALUE, Long.MAX_VALUE),
                quantiles(s));
    }

    /** The {@code quantiles} key of a forecast section: {@code predictive} (the default) or {@code samples}. */
    public static ForecastSettings.Quantiles quantiles(Section s) {
        return s.choice("quantiles", ForecastSettings.Quantiles.class, ForecastSettings.Quantiles.PREDICTIVE);
    }
}
