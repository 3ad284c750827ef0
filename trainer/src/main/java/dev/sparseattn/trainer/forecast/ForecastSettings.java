package dev.sparseattn.trainer.forecast;

import java.util.Locale;

/**
 * How a {@link Forecaster} samples, and where its quantiles come from.
 *
 * @param horizon     future time steps per path (each step holds every variable)
 * @param samples     sampled paths (Chronos uses 20)
 * @param temperature sampling temperature, > 0 (1 samples the model's distribution)
 * @param topK        keep the k most likely bins, 0 = all (Chronos samples with top-k 50)
 * @param seed        seed of the paths: path {@code s} samples with {@link Forecaster#pathSeed}{@code (seed, s)}
 * @param quantiles   {@link Quantiles#PREDICTIVE} (the default) or {@link Quantiles#SAMPLES}
 */
public record ForecastSettings(int horizon, int samples, double temperature, int topK, long seed,
                               Quantiles quantiles) {

    /** Where the median and the other quantiles of a forecast come from. */
    public enum Quantiles {
        /**
         * From the distributions the paths were drawn from: at every value, the mean over the paths of the
         * distribution over bins each path sampled from (given its own earlier values). For the first value of the
         * first step every path has the same distribution, so its quantiles are exact, whatever the number of
         * paths; later values average S conditional distributions instead of S draws (Rao-Blackwellisation), a
         * mixture whose quantiles wander less than the draws' order statistics.
         */
        PREDICTIVE,
        /** The order statistics of the sampled paths, as Chronos computes them. */
        SAMPLES;

        /** The config spelling: {@code predictive} or {@code samples}. */
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Parses {@link #key()}; fails naming the accepted spellings. */
        public static Quantiles parse(String key) {
            for (Quantiles q : values()) {
                if (q.key().equals(key)) {
                    return q;
                }
            }
            throw new IllegalArgumentException("quantiles must be predictive or samples, got '" + key + "'");
        }
    }

    public ForecastSettings {
        if (horizon < 1) {
            throw new IllegalArgumentException("horizon must be >= 1 step, got " + horizon);
        }
        if (samples < 1) {
            throw new IllegalArgumentException("samples must be >= 1, got " + samples);
        }
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number > 0, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top-k must be >= 0 (0 = all), got " + topK);
        }
        if (quantiles == null) {
            throw new IllegalArgumentException("quantiles must be predictive or samples, got null");
        }
    }

    /** Predictive quantiles. */
    public ForecastSettings(int horizon, int samples, double temperature, int topK, long seed) {
        this(horizon, samples, temperature, topK, seed, Quantiles.PREDICTIVE);
    }

    /** {@code samples} paths of {@code horizon} steps at temperature 1 over every bin, predictive quantiles. */
    public static ForecastSettings of(int horizon, int samples, long seed) {
        return new ForecastSettings(horizon, samples, 1.0, 0, seed);
    }

    /** These settings with quantiles from {@code q}. */
    public ForecastSettings with(Quantiles q) {
        return new ForecastSettings(horizon, samples, temperature, topK, seed, q);
    }
}
