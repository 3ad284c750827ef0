package dev.sparseattn.trainer.generate;

import dev.sparseattn.trainer.model.attention.AttentionSpec;
import dev.sparseattn.trainer.model.attention.Attentions;
import dev.sparseattn.trainer.model.attention.decode.DecodeCache;
import dev.sparseattn.trainer.model.attention.decode.DecodeCaches;
import dev.sparseattn.trainer.model.blocks.AttentionBranch;
import dev.sparseattn.trainer.model.blocks.FeedForwardBranch;
import dev.sparseattn.trainer.model.ops.Alloc;
import dev.sparseattn.trainer.model.ops.Rotary;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One transformer block at inference, for a decode engine of {@code slots} rows: its attention branch F (pre-LN,
 * fused QKV, the pattern's kernel, output projection; Vaswani et al. 2017 with GPT-2's pre-LayerNorm) and
 * feed-forward branch G, with the pattern's decode cache ({@link DecodeCache}, one row per slot).
 *
 * <p>{@link #attentionPrefill} runs the training code's branch over a whole prompt (the sparse kernel, in the model's
 * data type) and fills the slot's cache row from its q, k, v; {@link #attentionStep} takes one token per active row
 * as plain double arrays ({@link RowMath}, the cache's array step; the projections as one BLAS product over the
 * rows for larger batches, {@link Projection}): per-call overhead, not arithmetic, dominates a one-row step.
 * Rotary models rotate q and k by each row's absolute position, in both.
 */
final class DecodeLayer {

    private final BlockWeights w;
    private final AttentionBranch attention;
    private final FeedForwardBranch feedForward = new FeedForwardBranch();
    private final DecodeCache cache;
    private final int slots;
    private final int d;
    private final int heads;
    private final int headDim;
    private final int ffn;
    private final boolean rotary;
    private final Projection qkvProjection;
    private final Projection outProjection;
    private final Projection up;
    private final Projection down;
    private final int[] rows;             // active rows of a step, packed
    private final double[] packedIn;      // [slots][d]
    private final double[] packedQkv;     // [slots][3d]
    private final double[] packedHidden;  // [slots][ffn]
    private final double[] packedOut;     // [slots][d]
    private final double[] q;      // [slots][heads][headDim]
    private final double[] k;
    private final double[] v;
    private final double[] ctx;
    private final double[] one;    // one row's q or k  [heads * headDim]
    private final int[] pos = new int[1];

    /** @param gemmRows from this many rows on a step's projections are one BLAS product (see {@link Projection}) */
    DecodeLayer(AttentionSpec spec, BlockWeights w, int slots, int d, int heads, int ffn, boolean rotary,
                DataType type, int capacity, int gemmRows) {
        this.w = w;
        this.slots = slots;
        this.d = d;
        this.heads = heads;
        this.headDim = d / heads;
        this.ffn = ffn;
        this.rotary = rotary;
        this.attention = new AttentionBranch(Attentions.create(spec, heads), heads).rotary(rotary);
        this.cache = DecodeCaches.create(spec, slots, heads, headDim, null, type, capacity);
        this.qkvProjection = new Projection(w.wqkv(), w.bqkv(), d, 3 * d, gemmRows);
        this.outProjection = new Projection(w.wo(), w.bo(), d, d, gemmRows);
        this.up = new Projection(w.w1(), w.b1(), d, ffn, gemmRows);
        this.down = new Projection(w.w2(), w.b2(), ffn, d, gemmRows);
        this.rows = new int[slots];
        this.packedIn = new double[slots * d];
        this.packedQkv = new double[slots * 3 * d];
        this.packedHidden = new double[slots * ffn];
        this.packedOut = new double[slots * d];
        this.q = new double[slots * d];
        this.k = new double[slots * d];
        this.v = new double[slots * d];
        this.ctx = new double[slots * d];
        this.one = new double[d];
    }

    /**
     * F over a whole prompt of slot {@code slot}, whose cache row starts anew from it.
     *
     * @param x rows of the prompt // [L, d], the model's data type
     * @return F(x)                 // [L, d]
     */
    INDArray attentionPrefill(INDArray x, int slot) {
        long len = x.size(0);
        Alloc work = Alloc.current(x.dataType());
        return attention.forwardWithQkv(x, 1, len, w.attention(), work.create(len, d), work,
                (qq, kk, vv) -> cache.prefillRow(slot, qq.dup('c'), kk.dup('c'), vv.dup('c'), null));
    }

    /** G over whole rows // [L, d] -> [L, d]. */
    INDArray feedForwardPrefill(INDArray x) {
        Alloc work = Alloc.current(x.dataType());
        return feedForward.forward(x, w.feedForward(), work.create(x.size(0), d), null, work);
    }

    /** Row {@code slot}'s cache starts a new, empty sequence. */
    void reset(int slot) {
        cache.reset(slot);
    }

    /** Tokens in row {@code slot}'s cache. */
    int length(int slot) {
        return cache.length(slot);
    }

    /** Bytes of the cache's keys and values. */
    long cacheBytes() {
        return cache.bytes();
    }

    /**
     * F of one new token per active row; its key and value join the row's cache.
     *
     * @param x   inputs  // [slots][d]; rows not active are ignored
     * @param out F(x)    // [slots][d], overwritten in the active rows
     */
    void attentionStep(double[] x, boolean[] active, double[] out) {
        int n = pack(active);
        for (int r = 0; r < n; r++) {
            RowMath.layerNorm(x, rows[r] * d, d, w.ln1g(), w.ln1b(), packedIn, r * d);
        }
        qkvProjection.apply(packedIn, n, packedQkv);                  // [n][q | k | v], heads consecutive
        for (int r = 0; r < n; r++) {
            int b = rows[r];
            int o = r * 3 * d;
            if (rotary) {
                pos[0] = cache.length(b);
                rotate(packedQkv, o, pos);
                rotate(packedQkv, o + d, pos);
            }
            System.arraycopy(packedQkv, o, q, b * d, d);
            System.arraycopy(packedQkv, o + d, k, b * d, d);
            System.arraycopy(packedQkv, o + 2 * d, v, b * d, d);
        }
        cache.step(q, k, v, null, active, ctx);
        for (int r = 0; r < n; r++) {
            System.arraycopy(ctx, rows[r] * d, packedIn, r * d, d);
        }
        outProjection.apply(packedIn, n, packedOut);
        unpack(n, out);
    }

    /** G of each active row // [slots][d] -> out [slots][d] (active rows overwritten). */
    void feedForwardStep(double[] x, boolean[] active, double[] out) {
        int n = pack(active);
        for (int r = 0; r < n; r++) {
            RowMath.layerNorm(x, rows[r] * d, d, w.ln2g(), w.ln2b(), packedIn, r * d);
        }
        up.apply(packedIn, n, packedHidden);
        RowMath.gelu(packedHidden, 0, n * ffn);
        down.apply(packedHidden, n, packedOut);
        unpack(n, out);
    }

    /** The active rows' indices into {@link #rows}; returns their count. */
    private int pack(boolean[] active) {
        int n = 0;
        for (int b = 0; b < slots; b++) {
            if (active[b]) {
                rows[n++] = b;
            }
        }
        return n;
    }

    private void unpack(int n, double[] out) {
        for (int r = 0; r < n; r++) {
            System.arraycopy(packedOut, r * d, out, rows[r] * d, d);
        }
    }

    /** Rotates the {@code heads * headDim} values at {@code off} by the position {@code pos[0]} (RoPE). */
    private void rotate(double[] a, int off, int[] p) {
        System.arraycopy(a, off, one, 0, d);
        Rotary.forwardInPlace(one, 1, heads, headDim, p, Rotary.BASE);
        System.arraycopy(one, 0, a, off, d);
    }
}
