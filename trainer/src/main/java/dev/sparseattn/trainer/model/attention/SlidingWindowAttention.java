package dev.sparseattn.trainer.model.attention;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Longformer's sliding-window attention (Beltagy et al. 2020, "Longformer: The Long-Document Transformer",
 * section 3.1): query {@code i} attends to keys {@code j} with {@code |i - j| <= w * d} (bidirectional) or
 * {@code 0 <= i - j <= w * d} (causal) and {@code i - j} a multiple of the head's dilation {@code d} (the dilated
 * sliding window; {@code d = 1} is the plain window). Computed blockwise by {@link BlockBandAttention}: blocks of
 * {@code min(w * max d, L)} (or the spec's block size), each against its neighbouring key blocks, so time and memory
 * are O(L * w). Dilated heads compute their full reach {@code w * d} and mask the gaps.
 *
 * <p>Global tokens (Longformer, section 3.1, "global attention"): the positions given to {@link #withGlobal}
 * attend to every key (every earlier key when causal) and every query attends to them (when not in its future),
 * a pair already inside the window counted once. They cost O(G * L) on top of the window.
 */
public class SlidingWindowAttention extends BlockBandAttention {

    private final int window;
    private final boolean causal;
    private final int blockSize;
    private final int[] dilations;   // per head; length 1 = all heads
    private int[] globalSpec = new int[0];   // negative = from the end

    /**
     * @param window    one-sided reach {@code w}
     * @param causal    only keys at or before the query
     * @param blockSize block size, 0 for {@code min(w * max dilation, L)}
     * @param dilations per-head dilations (one value for all heads; empty for 1)
     */
    public SlidingWindowAttention(int window, boolean causal, int blockSize, int... dilations) {
        if (window < 0 || blockSize < 0) {
            throw new IllegalArgumentException("window and blockSize must be >= 0");
        }
        this.window = window;
        this.causal = causal;
        this.blockSize = blockSize;
        this.dilations = dilations.length == 0 ? new int[] {1} : dilations.clone();
        for (int d : this.dilations) {
            if (d < 1) {
                throw new IllegalArgumentException("dilations must be >= 1");
            }
        }
    }

    /**
     * Makes {@code positions} global tokens (negative values count from the end: {@code -1} is the last token;
     * positions outside a sequence are ignored). Call before the first forward.
     */
    public SlidingWindowAttention withGlobal(int... positions) {
        this.globalSpec = positions.clone();
        return this;
    }

    @Override
    protected boolean causal() {
        return causal;
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
        INDArray i = Nd4j.arange(0, g.paddedQueries()).castTo(type).reshape(g.paddedQueries(), 1);
        INDArray j = Nd4j.createFromArray(global).castTo(type).reshape(1, global.length);
        INDArray diff = Nd4j.zeros(type, g.paddedQueries(), global.length)
                .addiRowVector(j).subiColumnVector(i);                                    // [paddedQ, G]: j - i
        INDArray out = Nd4j.create(type, dilations.length, g.paddedQueries(), global.length);
        for (int h = 0; h < dilations.length; h++) {
            INDArray notInWindow = allowed(diff, dilations[h]).rsubi(1.0);
            out.slice(h).assign(causal ? notInWindow.muli(diff.lte(0).castTo(type)) : notInWindow);
        }
        return out;
    }

    /** 0/1: key {@code i + diff} is in the (dilated) window of query {@code i}. */
    private INDArray allowed(INDArray diff, int d) {
        DataType type = diff.dataType();
        INDArray dist = Transforms.abs(diff, true);
        INDArray ok = dist.lte((double) window * d).castTo(type).muli(dist.fmod(d).eq(0).castTo(type));
        return causal ? ok.muli(diff.lte(0).castTo(type)) : ok;
    }

    private int maxDilation() {
        int m = 1;
        for (int d : dilations) {
            m = Math.max(m, d);
        }
        return m;
    }

    @Override
    protected BlockGeometry geometry(int len) {
        return BlockGeometry.band(len, window * maxDilation(), blockSize, causal);
    }

    @Override
    protected INDArray bandMask(BlockGeometry g, int heads, DataType type) {
        if (dilations.length != 1 && dilations.length != heads) {
            throw new IllegalArgumentException(dilations.length + " dilations for " + heads + " heads");
        }
        INDArray qq = Nd4j.arange(0, g.size()).castTo(type).reshape(g.size(), 1);       // [size, 1]
        INDArray kk = Nd4j.arange(0, g.keys()).castTo(type).reshape(1, g.keys());       // [1, keys]
        INDArray diff = Nd4j.zeros(type, g.size(), g.keys())
                .addiRowVector(kk).subiColumnVector(qq).subi(g.front());                 // [size, keys]: j - i
        INDArray out = Nd4j.create(type, dilations.length, g.size(), g.keys());           // [heads or 1, size, keys]
        for (int h = 0; h < dilations.length; h++) {
            out.slice(h).assign(allowed(diff, dilations[h]).subi(1.0).muli(-MASKED));
        }
        return out;
    }
}
