package dev.sparseattn.trainer.model.attention.decode;

import org.nd4j.linalg.api.buffer.DataType;

import dev.sparseattn.trainer.model.attention.BigBirdAttention;

/**
 * Decode cache of BigBird's causal block-sparse pattern (Zaheer et al. 2020, "Big Bird: Transformers for Longer
 * Sequences", section 2; the kernel is {@link BigBirdAttention}): query {@code i} of block {@code n = floor(i / b)}
 * reads
 * <ul>
 *   <li>the window: keys of blocks {@code n - s .. n} up to {@code i};</li>
 *   <li>the random blocks drawn for block {@code n} (all earlier than {@code n - s}): the kernel draws them block by
 *       block from one seeded generator, so block {@code n}'s draw does not depend on the sequence's length and is
 *       taken from {@link BigBirdAttention#randomBlocks} of any length covering it;</li>
 *   <li>every global key {@code g <= i}; a global query reads every key {@code j <= i}.</li>
 * </ul>
 * A key reached several ways counts once. Random blocks can be any earlier block, so every key is kept (position
 * {@code p} in slot {@code p}); a step reads {@code (s + 1 + r) b + G} keys at most.
 */
public final class BigBirdCache extends DecodeCache {

    private final int block;
    private final int side;
    private final BigBirdAttention kernel;
    private final GlobalTokens global;
    private int[][] random = new int[0][];

    /** @param storage the model's data type (keys and values stored as floats or doubles) */
    public BigBirdCache(int batch, int heads, int dim, int block, int side, int randomBlocks, long seed, int[] global,
                        int[][] perRow, int capacity, DataType storage) {
        super(batch, heads, dim, capacity, true, storage);
        if (block < 1 || side < 0 || randomBlocks < 0) {
            throw new IllegalArgumentException("need block >= 1, side >= 0, random >= 0");
        }
        this.block = block;
        this.side = side;
        this.kernel = new BigBirdAttention(block, side, randomBlocks, seed, true);
        this.global = new GlobalTokens("bigbird", batch, global, perRow);
    }

    @Override
    protected int slot(int b, int h, int p) {
        return p;
    }

    /** The random key blocks of query block {@code n} (-1: unused slot). */
    private int[] randomOf(int n) {
        if (n >= random.length) {
            random = kernel.randomBlocks(Math.max(n + 1, 2 * random.length) * block);
        }
        return random[n];
    }

    private static boolean contains(int[] a, int x) {
        for (int y : a) {
            if (y == x) {
                return true;
            }
        }
        return false;
    }

    @Override
    protected void collect(int b, int h, int i, Slots out) {
        if (global.is(b, i)) {
            out.addRange(0, i + 1);
            return;
        }
        int n = i / block;
        int windowStart = Math.max(0, n - side) * block;
        out.addRange(windowStart, i + 1);
        int[] rand = randomOf(n);
        for (int m : rand) {
            if (m >= 0) {
                out.addRange(m * block, (m + 1) * block);
            }
        }
        for (int g : global.of(b)) {
            if (g > i || g >= windowStart) {
                break;
            }
            if (!contains(rand, g / block)) {
                out.add(g);
            }
        }
    }
}
