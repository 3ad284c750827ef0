package dev.sparseattn.trainer.model.attention;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * BigBird's block-sparse attention (Zaheer et al. 2020, "Big Bird: Transformers for Longer Sequences", section 2 and
 * appendix D, the ITC construction): queries and keys in blocks of {@code b}; each query block attends to
 * <ul>
 *   <li>the window: its own block and {@code s} blocks on each side (only earlier ones, and causally within its own
 *       block, when causal),</li>
 *   <li>{@code r} random key blocks, drawn per query block from the blocks outside its window (strictly earlier
 *       blocks when causal), reproducibly from a seed ({@link java.util.Random}); fewer when not enough exist,</li>
 *   <li>the global tokens, which also attend to everything.</li>
 * </ul>
 * A key reachable in several ways is counted once. Time and memory O(L * b * (2s + 1 + r) + G * L).
 */
public final class BigBirdAttention extends BlockBandAttention {

    private final int block;
    private final int side;
    private final int random;
    private final long seed;
    private final boolean causal;
    private int[] globalSpec = new int[0];

    /**
     * @param block  block size {@code b}
     * @param side   window blocks on each side {@code s} (BigBird's 3-block window: 1)
     * @param random random key blocks per query block {@code r}
     * @param seed   seed of the random blocks
     */
    public BigBirdAttention(int block, int side, int random, long seed, boolean causal) {
        if (block < 1 || side < 0 || random < 0) {
            throw new IllegalArgumentException("need block >= 1, side >= 0, random >= 0");
        }
        this.block = block;
        this.side = side;
        this.random = random;
        this.seed = seed;
        this.causal = causal;
    }

    /** Global tokens (negative = from the end); call before the first forward. */
    public BigBirdAttention withGlobal(int... positions) {
        this.globalSpec = positions.clone();
        return this;
    }

    @Override
    protected BlockGeometry geometry(int len) {
        int size = Math.min(block, len);
        int blocks = (len + size - 1) / size;
        int before = Math.min(side, blocks - 1);
        return new BlockGeometry(len, size, blocks, before, causal ? 0 : before);
    }

    @Override
    protected boolean causal() {
        return causal;
    }

    @Override
    protected INDArray bandMask(BlockGeometry g, int heads, DataType type) {
        return causalBandMask(g, type, causal);
    }

    @Override
    protected int[][] extraBlocks(BlockGeometry g) {
        if (random == 0) {
            return null;
        }
        Random rnd = new Random(seed);
        int[][] out = new int[g.blocks()][random];
        for (int n = 0; n < g.blocks(); n++) {
            List<Integer> candidates = new ArrayList<>();
            for (int m = 0; m < g.blocks(); m++) {
                if (causal ? m < n - g.before() : Math.abs(m - n) > g.before()) {
                    candidates.add(m);
                }
            }
            Collections.shuffle(candidates, rnd);
            Arrays.fill(out[n], -1);
            for (int t = 0; t < Math.min(random, candidates.size()); t++) {
                out[n][t] = candidates.get(t);
            }
            Arrays.sort(out[n]);
        }
        return out;
    }

    /** The random key blocks of each query block for sequences of {@code len} ({@code -1}: unused slot). */
    public int[][] randomBlocks(int len) {
        int[][] r = extraBlocks(geometry(len));
        return r == null ? new int[geometry(len).blocks()][0] : r;
    }

    @Override
    protected int[] globalPositions(int len) {
        return resolve(globalSpec, len);
    }

    @Override
    protected boolean hasGlobalTokens() {
        return true;
    }

    @Override
    protected INDArray globalColumns(int[] global, BlockGeometry g, int heads, DataType type) {
        // 1: the global key is not in the query block's window (random blocks mask global keys themselves)
        double[] byBlock = new double[g.blocks() * global.length];
        for (int n = 0; n < g.blocks(); n++) {
            for (int k = 0; k < global.length; k++) {
                int m = global[k] / g.size();
                byBlock[n * global.length + k] = m >= n - g.before() && m <= n + g.after() ? 0 : 1;
            }
        }
        INDArray a = Nd4j.createFromArray(byBlock).castTo(type).reshape(g.blocks(), 1, global.length);
        INDArray allowed = Nd4j.ones(type, g.blocks(), g.size(), global.length).muli(a)
                .reshape('c', g.paddedQueries(), global.length);                         // [paddedQ, G]
        if (causal) {
            INDArray i = Nd4j.arange(0, g.paddedQueries()).castTo(type).reshape(g.paddedQueries(), 1);
            INDArray j = Nd4j.createFromArray(global).castTo(type).reshape(1, global.length);
            allowed.muli(Nd4j.zeros(type, g.paddedQueries(), global.length).addiRowVector(j).subiColumnVector(i)
                    .lte(0).castTo(type));
        }
        return allowed.reshape('c', 1, g.paddedQueries(), global.length);
    }
}
