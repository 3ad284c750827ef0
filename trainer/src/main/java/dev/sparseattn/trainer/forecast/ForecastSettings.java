package dev.sparseattn.trainer.forecast;

/**
 * How a {@link Forecaster} samples.
 *
 * @param horizon     future time steps per path (each step holds every variable)
 * @param samples     sampled paths (Chronos uses 20)
 * @param temperature sampling temperature, > 0 (1 samples the model's distribution)
 * @param topK        keep the k most likely bins, 0 = all (Chronos samples with top-k 50)
 * @param seed        seed of the paths: path {@code s} samples with {@link Forecaster#pathSeed}{@code (seed, s)}
 */
public record ForecastSettings(int horizon, int samples, double temperature, int topK, long seed) {

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
    }

    /** {@code samples} paths of {@code horizon} steps at temperature 1 over every bin. */
    public static ForecastSettings of(int horizon, int samples, long seed) {
        return new ForecastSettings(horizon, samples, 1.0, 0, seed);
    }
}
