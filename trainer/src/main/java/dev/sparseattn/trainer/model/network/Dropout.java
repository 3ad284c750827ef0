package dev.sparseattn.trainer.model.network;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.random.impl.BernoulliDistribution;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Inverted dropout on a branch output (Srivastava et al. 2014): {@code y = x * m / (1 - rate)} with
 * {@code m ~ Bernoulli(1 - rate)}. Masks come from a dedicated ND4J generator reseeded for every mask from
 * {@link #seed(long, int, int, long)} (model seed, layer, branch, and the network's iteration count), so a recomputation regenerates the
 * identical mask from the seed alone: nothing of size {@code N x d} is kept between forward and backward.
 */
final class Dropout {

    /** Branch index of the attention branch F. */
    static final int ATTENTION = 0;
    /** Branch index of the feed-forward branch G. */
    static final int FEED_FORWARD = 1;

    private final double rate;
    private Random random;   // created on first use; one per model instance (and thread)

    Dropout(double rate) {
        this.rate = rate;
    }

    boolean active() {
        return rate > 0;
    }

    /** Seed of one mask: SplitMix64 of the model seed, layer, branch and forward counter. */
    static long seed(long modelSeed, int layer, int branch, long counter) {
        long z = modelSeed;
        z = mix(z + 0x9E3779B97F4A7C15L * (layer + 1));
        z = mix(z + 0x9E3779B97F4A7C15L * (branch + 1));
        return mix(z + 0x9E3779B97F4A7C15L * (counter + 1));
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * The scaled mask {@code m / (1 - rate)} for {@code seed}, in the current workspace; null when dropout is off.
     *
     * @return // [n, d]
     */
    INDArray mask(long seed, long n, long d, DataType type) {
        if (!active()) {
            return null;
        }
        if (random == null) {
            random = Nd4j.getRandomFactory().getNewRandomInstance(seed);
        }
        random.setSeed(seed);
        INDArray m = Nd4j.createUninitialized(type, new long[] {n, d}, 'c');
        Nd4j.getExecutioner().exec(new BernoulliDistribution(m, 1.0 - rate), random);
        return m.muli(1.0 / (1.0 - rate));
    }
}
