package dev.sparseattn.trainer.forecast;

import dev.sparseattn.datasets.tokenize.TimeSeriesTokenizer;
import dev.sparseattn.trainer.generate.DecodeEngine;
import dev.sparseattn.trainer.generate.TokenSampler;

/**
 * Probabilistic forecasts from a model trained on time-series tokens, as Chronos forecasts (Ansari et al. 2024,
 * "Chronos: Learning the Language of Time Series", section 3): the context (the last N observed steps, original
 * units, NaN for gaps) is scaled by its own mean absolute value per variable and quantised by the dataset's
 * {@link TimeSeriesTokenizer} (its code, with the whole context as the scale's context), prefilled after the
 * end-of-document id (a document starts there in training), and {@code samples} future paths of {@code horizon}
 * steps are sampled token by token on a {@link DecodeEngine}, all paths of a batch in one engine step per token.
 * Only value bins are sampled (never MASK, PAD or EOS). Tokens decode to bin centre times the context's scale.
 * The quantiles come from the paths' sampling distributions ({@link ForecastSettings.Quantiles#PREDICTIVE}: exact
 * for the first value, the mean of the paths' conditional distributions after it) or from the paths themselves
 * ({@link ForecastSettings.Quantiles#SAMPLES}, as Chronos).
 *
 * <p>Repeatable: path {@code s} samples with its own {@link TokenSampler} seeded {@link #pathSeed}{@code (seed, s)},
 * so a forecast depends on the context, the model and the settings only, not on the engine's slot count.
 * Not thread-safe (one engine).
 */
public final class Forecaster {

    private final DecodeEngine engine;
    private final TimeSeriesTokenizer tokenizer;
    private final TimeSeriesTokenizer contextScaler;
    private final int variables;
    private final int[] banned;

    /**
     * @param engine    a decode engine of the trained model (its slots are used for the paths, in batches)
     * @param tokenizer the dataset's time-series tokenizer (bins, range, variables of a step)
     */
    public Forecaster(DecodeEngine engine, TimeSeriesTokenizer tokenizer) {
        if (tokenizer.vocabSize() != engine.vocabSize()) {
            throw new IllegalArgumentException("the tokenizer has " + tokenizer.vocabSize() + " ids but the model "
                    + engine.vocabSize() + ": not the model of this dataset");
        }
        TimeSeriesTokenizer.Options o = tokenizer.options();
        this.engine = engine;
        this.tokenizer = tokenizer;
        // the same tokenizer whose scale's context is the whole of what it encodes: the forecast's context
        this.contextScaler = new TimeSeriesTokenizer(new TimeSeriesTokenizer.Options(o.bins(), o.low(), o.high(),
                o.variables(), 0));
        this.variables = o.variables();
        this.banned = new int[] {tokenizer.maskId(), tokenizer.padId(), tokenizer.eosId()};
    }

    /** Values per time step (interleaved layout). */
    public int variables() {
        return variables;
    }

    /** Longest context, in steps, that leaves room for {@code horizon} steps in a slot. */
    public int maxContextSteps(int horizon) {
        return engine.maxLength() / variables - horizon;
    }

    /** The seed of path {@code s} of a forecast seeded {@code seed} (SplitMix64's finaliser of the pair). */
    public static long pathSeed(long seed, int s) {
        long z = seed * 0x9E3779B97F4A7C15L + (s + 1) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * Forecasts the steps after {@code context}.
     *
     * @param context the last observed steps, interleaved ({@code steps * variables} values, NaN where missing)
     * @return the paths in original units, with median and quantiles per variable and step
     * @throws IllegalArgumentException for a context that is empty, not whole steps, or too long for the engine
     */
    public Forecast forecast(double[] context, ForecastSettings settings) {
        if (context.length == 0 || context.length % variables != 0) {
            throw new IllegalArgumentException("the context holds " + context.length + " values: it must be a"
                    + " positive number of whole steps of " + variables + " variables");
        }
        int h = settings.horizon();
        int steps = context.length / variables;
        if (steps > maxContextSteps(h)) {
            throw new IllegalArgumentException("a context of " + steps + " steps and a horizon of " + h
                    + " steps need " + (steps + h) * variables + " tokens (the end-of-document id, the context, the path"
                    + " but its last value), more than the "
                    + engine.maxLength() + " a decode slot holds");
        }
        double[] scales = contextScaler.scales(context);
        int[] ids = contextScaler.encode(context);
        int[] prompt = new int[ids.length + 1];
        prompt[0] = tokenizer.eosId();
        System.arraycopy(ids, 0, prompt, 1, ids.length);

        int s = settings.samples();
        int[][] tokens = new int[s][h * variables];
        // per value of a path, the mean of the paths' sampling distributions over the bins // [H * V][bins]
        double[][] mixture = new double[h * variables][tokenizer.options().bins()];
        int batch = Math.max(1, engine.freeSlots());
        for (int from = 0; from < s; from += batch) {
            sample(prompt, settings, from, Math.min(s, from + batch), tokens, mixture);
        }
        double[][] paths = new double[s][];
        for (int p = 0; p < s; p++) {
            paths[p] = tokenizer.decodeValues(tokens[p], scales);
        }
        return settings.quantiles() == ForecastSettings.Quantiles.SAMPLES
                ? Forecast.of(variables, scales, tokens, paths)
                : Forecast.predictive(variables, scales, tokens, paths, mixture, tokenizer);
    }

    /**
     * Paths {@code [from, to)}: one slot each, all stepped together; adds each draw's distribution over the bins,
     * over the number of paths, to {@code mixture} (in path order, so the sums do not depend on the batches).
     */
    private void sample(int[] prompt, ForecastSettings settings, int from, int to, int[][] tokens,
                        double[][] mixture) {
        double share = 1.0 / settings.samples();
        int n = to - from;
        int[] slots = new int[n];
        int[] next = new int[n];
        TokenSampler[] samplers = new TokenSampler[n];
        int opened = 0;
        try {
            for (int i = 0; i < n; i++) {
                slots[i] = engine.open(prompt);
                opened++;
                samplers[i] = new TokenSampler(settings.temperature(), settings.topK(), pathSeed(settings.seed(),
                        from + i));
            }
            int length = tokens[from].length;
            for (int t = 0; t < length; t++) {
                for (int i = 0; i < n; i++) {
                    next[i] = samplers[i].next(engine.logProbs(slots[i]), banned);
                    tokens[from + i][t] = next[i];
                    samplers[i].addLastDistribution(mixture[t], share);
                }
                if (t < length - 1) {
                    engine.step(slots, next);
                }
            }
        } finally {
            for (int i = 0; i < opened; i++) {
                engine.release(slots[i]);
            }
        }
    }
}
