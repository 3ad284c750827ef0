package dev.sparseattn.trainer.forecast;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.tokenize.TimeSeriesTokenizer;
import dev.sparseattn.trainer.generate.DecodeEngine;
import dev.sparseattn.trainer.generate.TokenSampler;
import dev.sparseattn.trainer.model.SingleThreadNd4j;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.attention.AttentionSpec;
import dev.sparseattn.trainer.model.network.LmParams;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import java.util.Arrays;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * {@link Forecaster} on real engines of tiny random double-precision models, two variables interleaved, bins whose
 * centres include +1 (61 bins over [-15, 15], width 0.5): paths equal a sampler over full forward passes with the
 * same seeds; the first value's quantiles are the model's exact ones, later values' those of the mean of the paths'
 * conditional distributions; a constant series forecasts itself; a scaled copy forecasts the scaled forecast; sampled values
 * round-trip through the dataset's tokenizer; forecasts repeat and do not depend on the engine's slot count.
 */
@ExtendWith(SingleThreadNd4j.class)
class ForecasterTest {

    private static final int HORIZON = 6;
    private static final TimeSeriesTokenizer TOK =
            new TimeSeriesTokenizer(new TimeSeriesTokenizer.Options(61, -15, 15, 2, HORIZON));
    private static final int ONE = 32;      // the bin whose centre is +1: -15 + 32 * 0.5
    private static MultiLayerNetwork random;
    private static MultiLayerNetwork repeater;

    @BeforeAll
    static void models() {
        random = net(5);
        repeater = net(6);
        // a head that puts (almost) all mass on the bin of scaled value +1: what a model learns from constant series
        INDArray bias = TransformerLM.layer(repeater).paramTable().get(LmParams.HEAD_B);
        for (int id = 0; id < TOK.vocabSize(); id++) {
            bias.putScalar(id, id == ONE ? 40.0 : -40.0);
        }
    }

    private static MultiLayerNetwork net(long seed) {
        TransformerConfig c = new TransformerConfig(TOK.vocabSize(), 64, 16, 2, 2, 32, seed)
                .withAttention(AttentionSpec.slidingWindow(8, true));
        MultiLayerNetwork n = TransformerLM.build(c, new NoOp(), DataType.DOUBLE);
        Nd4j.getRandom().setSeed(seed);
        n.setParams(Nd4j.randn(DataType.DOUBLE, 1, n.numParams()).muli(0.5));
        return n;
    }

    /** 10 steps of two variables, one of them missing at step 3, both missing at step 6. */
    private static double[] context() {
        double[] x = new double[20];
        for (int t = 0; t < 10; t++) {
            x[2 * t] = 12 + 5 * Math.sin(t * 0.7);
            x[2 * t + 1] = -3 + 0.4 * t;
        }
        x[7] = Double.NaN;
        x[12] = Double.NaN;
        x[13] = Double.NaN;
        return x;
    }

    @Test
    void pathsEqualAFullForwardSampler() {
        ForecastSettings settings = ForecastSettings.of(HORIZON, 5, 42);
        Forecast f;
        try (DecodeEngine engine = new DecodeEngine(random, 3, 64)) {          // 5 paths in batches of 3 and 2
            f = new Forecaster(engine, TOK).forecast(context(), settings);
        }
        int[] prompt = prompt(context());
        for (int s = 0; s < 5; s++) {
            TokenSampler sampler = new TokenSampler(1.0, 0, Forecaster.pathSeed(42, s));
            int[] ctx = prompt;
            int[] expected = new int[HORIZON * 2];
            for (int t = 0; t < expected.length; t++) {
                expected[t] = sampler.next(TransformerLM.nextTokenLogProbs(random, ctx), TOK.maskId(), TOK.padId(),
                        TOK.eosId());
                ctx = Arrays.copyOf(ctx, ctx.length + 1);
                ctx[ctx.length - 1] = expected[t];
            }
            assertArrayEquals(expected, f.tokens()[s], "path " + s);
        }
        assertTrue(Arrays.stream(f.tokens()).map(Arrays::toString).distinct().count() > 1,
                "a random model's paths differ");
    }

    /** EOS, then the context as the dataset's tokenizer encodes a window whose scale covers the context. */
    private static int[] prompt(double[] context) {
        double[] window = Arrays.copyOf(context, context.length + 2 * HORIZON);
        Arrays.fill(window, context.length, window.length, Double.NaN);
        int[] ids = TOK.encode(window);
        int[] p = new int[context.length + 1];
        p[0] = TOK.eosId();
        System.arraycopy(ids, 0, p, 1, context.length);
        return p;
    }

    @Test
    void aConstantSeriesForecastsItself() {
        double[] x = new double[24];
        for (int t = 0; t < 12; t++) {
            x[2 * t] = 7.25;
            x[2 * t + 1] = 1013.0;
        }
        x[9] = Double.NaN;                                                      // a gap changes nothing
        try (DecodeEngine engine = new DecodeEngine(repeater, 4, 64)) {
            Forecast f = new Forecaster(engine, TOK).forecast(x, ForecastSettings.of(HORIZON, 8, 1));
            assertArrayEquals(new double[] {7.25, 1013.0}, f.scales(), 0);
            for (double[] path : f.paths()) {
                for (int i = 0; i < path.length; i++) {
                    assertEquals(i % 2 == 0 ? 7.25 : 1013.0, path[i], 1e-12);
                }
            }
            for (double[][] level : f.quantiles()) {
                for (int h = 0; h < HORIZON; h++) {
                    assertEquals(7.25, level[0][h], 1e-12);
                    assertEquals(1013.0, level[1][h], 1e-12);
                }
            }
            assertEquals(7.25, f.of(0).point()[HORIZON - 1], 1e-12);
        }
    }

    @Test
    void aScaledCopyForecastsTheScaledForecast() {
        double[] x = context();
        double[] y = Arrays.stream(x).map(v -> 3.7 * v).toArray();
        ForecastSettings settings = ForecastSettings.of(HORIZON, 6, 9);
        try (DecodeEngine engine = new DecodeEngine(random, 6, 64)) {
            Forecaster forecaster = new Forecaster(engine, TOK);
            Forecast fx = forecaster.forecast(x, settings);
            Forecast fy = forecaster.forecast(y, settings);
            for (int s = 0; s < 6; s++) {
                assertArrayEquals(fx.tokens()[s], fy.tokens()[s]);
                for (int i = 0; i < fx.paths()[s].length; i++) {
                    assertEquals(3.7 * fx.paths()[s][i], fy.paths()[s][i], 1e-9 * Math.abs(fy.paths()[s][i]));
                }
            }
            for (int l = 0; l < Forecast.LEVELS.length; l++) {
                for (int v = 0; v < 2; v++) {
                    for (int h = 0; h < HORIZON; h++) {
                        double q = fx.quantiles()[l][v][h];
                        assertEquals(3.7 * q, fy.quantiles()[l][v][h], 1e-9 * Math.abs(q) + 1e-12);
                    }
                }
            }
        }
    }

    @Test
    void sampledValuesRoundTripThroughTheTokenizer() {
        double[] x = context();
        try (DecodeEngine engine = new DecodeEngine(random, 4, 64)) {
            Forecast f = new Forecaster(engine, TOK).forecast(x, ForecastSettings.of(HORIZON, 4, 3));
            assertArrayEquals(TOK.scales(concat(x, f.paths()[0])), f.scales(), 0);
            for (int s = 0; s < 4; s++) {
                // a window of context + path, encoded by the dataset's tokenizer (scale from all but the horizon)
                int[] ids = TOK.encode(concat(x, f.paths()[s]));
                assertArrayEquals(f.tokens()[s], Arrays.copyOfRange(ids, x.length, ids.length), "path " + s);
                assertArrayEquals(f.paths()[s], TOK.decodeValues(f.tokens()[s], f.scales()), 0);
            }
        }
    }

    @Test
    void repeatsAndDoesNotDependOnTheSlotCount() {
        ForecastSettings settings = new ForecastSettings(HORIZON, 7, 0.8, 10, 11);
        Forecast a;
        Forecast b;
        Forecast c;
        try (DecodeEngine one = new DecodeEngine(random, 1, 64); DecodeEngine eight = new DecodeEngine(random, 8, 64)) {
            a = new Forecaster(one, TOK).forecast(context(), settings);
            b = new Forecaster(eight, TOK).forecast(context(), settings);
            c = new Forecaster(eight, TOK).forecast(context(), settings);
            assertEquals(8, eight.freeSlots(), "every slot released");
        }
        assertArrayEquals(a.tokens(), b.tokens());
        assertArrayEquals(b.tokens(), c.tokens());
        assertArrayEquals(a.quantiles()[4][1], c.quantiles()[4][1], 0);
    }

    @Test
    void quantilesAreThoseOfThePaths() {
        try (DecodeEngine engine = new DecodeEngine(random, 8, 64)) {
            Forecast f = new Forecaster(engine, TOK).forecast(context(),
                    ForecastSettings.of(2, 11, 5).with(ForecastSettings.Quantiles.SAMPLES));
            for (int i = 0; i < 4; i++) {
                double[] col = new double[11];
                for (int s = 0; s < 11; s++) {
                    col[s] = f.paths()[s][i];
                }
                Arrays.sort(col);
                // 11 paths: level l/10 is exactly order statistic l
                for (int l = 0; l < 9; l++) {
                    assertEquals(col[l + 1], f.quantiles()[l][i % 2][i / 2], 1e-12);
                }
                assertEquals(col[5], f.median()[i % 2][i / 2], 1e-12);
            }
        }
    }

    /**
     * The first value's quantiles are those of the model's next-token distribution over the bins (recomputed here
     * with a full forward pass, the ban, the temperature and top-k), whatever the number of paths.
     */
    @Test
    void firstValueQuantilesAreTheModelsExactQuantiles() {
        double[] x = context();
        for (ForecastSettings settings : new ForecastSettings[] {ForecastSettings.of(2, 1, 5),
                ForecastSettings.of(2, 9, 5), new ForecastSettings(2, 3, 0.8, 10, 5)}) {
            Forecast f;
            try (DecodeEngine engine = new DecodeEngine(random, 4, 64)) {
                f = new Forecaster(engine, TOK).forecast(x, settings);
            }
            double[] p = distribution(TransformerLM.nextTokenLogProbs(random, prompt(x)), settings);
            for (int l = 0; l < Forecast.LEVELS.length; l++) {
                assertEquals(TOK.centre(quantileBin(p, Forecast.LEVELS[l])) * f.scales()[0], f.quantiles()[l][0][0],
                        1e-12, settings + " level " + Forecast.LEVELS[l]);
            }
        }
    }

    /** Later values: quantiles of the mean over the paths of each path's distribution given its own prefix. */
    @Test
    void laterValuesAverageThePathsConditionalDistributions() {
        double[] x = context();
        ForecastSettings settings = ForecastSettings.of(2, 5, 8);
        Forecast f;
        try (DecodeEngine engine = new DecodeEngine(random, 2, 64)) {          // 5 paths in batches of 2, 2 and 1
            f = new Forecaster(engine, TOK).forecast(x, settings);
        }
        int[] prompt = prompt(x);
        boolean spread = false;
        for (int t = 0; t < 4; t++) {
            double[] mean = new double[61];
            for (int s = 0; s < 5; s++) {
                int[] ctx = Arrays.copyOf(prompt, prompt.length + t);
                System.arraycopy(f.tokens()[s], 0, ctx, prompt.length, t);
                double[] p = distribution(TransformerLM.nextTokenLogProbs(random, ctx), settings);
                for (int b = 0; b < mean.length; b++) {
                    mean[b] += p[b] / 5;
                }
            }
            for (int l = 0; l < Forecast.LEVELS.length; l++) {
                double expected = TOK.centre(quantileBin(mean, Forecast.LEVELS[l])) * f.scales()[t % 2];
                assertEquals(expected, f.quantiles()[l][t % 2][t / 2], 1e-12, "value " + t + " level " + l);
            }
            spread |= f.quantiles()[0][t % 2][t / 2] < f.quantiles()[8][t % 2][t / 2];
        }
        assertTrue(spread, "a random model's forecast has spread");
    }

    /** The sampling distribution over the value bins: ban MASK, PAD, EOS; temperature; top-k; normalise. */
    private static double[] distribution(double[] logProbs, ForecastSettings settings) {
        double[] w = new double[61];
        double max = Double.NEGATIVE_INFINITY;
        for (int b = 0; b < w.length; b++) {
            max = Math.max(max, logProbs[b]);
        }
        for (int b = 0; b < w.length; b++) {
            w[b] = Math.exp((logProbs[b] - max) / settings.temperature());
        }
        if (settings.topK() > 0) {
            double[] sorted = w.clone();
            Arrays.sort(sorted);
            double kth = sorted[sorted.length - settings.topK()];
            for (int b = 0; b < w.length; b++) {
                w[b] = w[b] >= kth ? w[b] : 0;
            }
        }
        double total = Arrays.stream(w).sum();
        return Arrays.stream(w).map(v -> v / total).toArray();
    }

    /** The first bin whose cumulative probability reaches {@code level}. */
    private static int quantileBin(double[] p, double level) {
        double cumulative = 0;
        for (int b = 0; b < p.length; b++) {
            cumulative += p[b];
            if (cumulative >= level) {
                return b;
            }
        }
        return p.length - 1;
    }

    @Test
    void refusesContextsThatDoNotFit() {
        try (DecodeEngine engine = new DecodeEngine(random, 2, 64)) {
            Forecaster forecaster = new Forecaster(engine, TOK);
            assertThrows(IllegalArgumentException.class, () -> forecaster.forecast(new double[3],
                    ForecastSettings.of(2, 1, 1)));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> forecaster.forecast(new double[2 * 30], ForecastSettings.of(HORIZON, 1, 1)));
            assertTrue(e.getMessage().contains("more than the 64"), e.getMessage());
            assertEquals(32 - HORIZON, forecaster.maxContextSteps(HORIZON));
            forecaster.forecast(new double[2 * (32 - HORIZON)], ForecastSettings.of(HORIZON, 2, 1));  // exactly fits
        }
    }

    private static double[] concat(double[] a, double[] b) {
        double[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
