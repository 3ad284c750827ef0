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
 * as plain double arrays ({@link RowMath}, the cache's array step): per-call overhead, not arithmetic, dominates a
 * step at these sizes. Rotary models rotate q and k by each row's absolute position, in both; with a sink cap
 * ({@link SinkPositions#CAPPED}) a query at {@code i > cap} reads the global (sink) keys rotated to
 * {@code g + i - cap}, i.e. at distance {@code cap - g} (the keys as stored, rotated by {@code i - cap} more: rotations
 * compose, and attention depends only on the distance).
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
    private final int[] rowOf;     // the active rows of a step, in order [slots]
    private final double[] h;      // LN of the active rows, compact   [slots][d]
    private final double[] qkv;    // their [q | k | v]                [slots][3d]
    private final double[] hidden; // their feed-forward hidden layer  [slots][ffn]
    private final double[] rows;   // their attention output, compact  [slots][d]
    private final double[] proj;   // their branch output, compact     [slots][d]
    private final double[] q;      // [slots][heads][headDim]
    private final double[] k;
    private final double[] v;
    private final double[] ctx;
    private final double[] one;    // one row's q or k  [heads * headDim]
    private final int[] pos = new int[1];
    private final int sinkCap;     // -1: none
    private final int[] sinks;     // global positions from the start, < sinkCap
    private final double[][] sinkKeys; // per slot, the sinks' keys as stored at their own positions [sinks][d]
    private final boolean[] sinkKeysRead;

    DecodeLayer(AttentionSpec spec, BlockWeights w, int slots, int d, int heads, int ffn, boolean rotary,
                DataType type, int capacity, int sinkCap) {
        this.w = w;
        this.slots = slots;
        this.d = d;
        this.heads = heads;
        this.headDim = d / heads;
        this.ffn = ffn;
        this.rotary = rotary;
        this.attention = new AttentionBranch(Attentions.create(spec, heads), heads).rotary(rotary);
        this.cache = DecodeCaches.create(spec, slots, heads, headDim, null, type, capacity);
        this.rowOf = new int[slots];
        this.h = new double[slots * d];
        this.qkv = new double[slots * 3 * d];
        this.hidden = new double[slots * ffn];
        this.rows = new double[slots * d];
        this.proj = new double[slots * d];
        this.q = new double[slots * d];
        this.k = new double[slots * d];
        this.v = new double[slots * d];
        this.ctx = new double[slots * d];
        this.one = new double[d];
        boolean lsh = spec.kind() == AttentionSpec.Kind.LSH;
        this.sinks = !rotary || sinkCap < 0 || lsh ? new int[0]
                : spec.globalPositions().stream().mapToInt(Integer::intValue).filter(g -> g >= 0 && g < sinkCap)
                        .sorted().distinct().toArray();
        this.sinkCap = sinks.length == 0 ? -1 : sinkCap;
        this.sinkKeys = new double[slots][sinks.length * d];
        this.sinkKeysRead = new boolean[slots];
    }

    /**
     * F over a whole prompt of slot {@code slot}, whose cache row starts anew from it.
     *
     * @param x rows of the prompt // [L, d], the model's data type
     * @return F(x)                 // [L, d]
     */
    INDArray attentionPrefill(INDArray x, int slot) {
        long len = x.size(0);
        sinkKeysRead[slot] = false;
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
        sinkKeysRead[slot] = false;
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
     * F of one new token per active row; its key and value join the row's cache. The projections run over all
     * active rows at once ({@link RowMath#affineRows}: each weight read once per step, not once per row).
     *
     * @param x   inputs  // [slots][d]; rows not active are ignored
     * @param out F(x)    // [slots][d], overwritten in the active rows
     */
    void attentionStep(double[] x, boolean[] active, double[] out) {
        int n = layerNormRows(x, active, w.ln1g(), w.ln1b());
        RowMath.affineRows(h, n, d, w.wqkv(), w.bqkv(), 3 * d, qkv);                    // [n][q | k | v]
        for (int r = 0; r < n; r++) {
            int b = rowOf[r];
            int o = b * d;
            int src = r * 3 * d;
            if (rotary) {
                pos[0] = cache.length(b);
                rotate(qkv, src, pos);
                rotate(qkv, src + d, pos);
            }
            System.arraycopy(qkv, src, q, o, d);
            System.arraycopy(qkv, src + d, k, o, d);
            System.arraycopy(qkv, src + 2 * d, v, o, d);
            if (sinkCap >= 0 && cache.length(b) > sinkCap) {
                moveSinks(b, cache.length(b) - sinkCap);
            }
        }
        cache.step(q, k, v, null, active, ctx);
        for (int r = 0; r < n; r++) {
            System.arraycopy(ctx, rowOf[r] * d, rows, r * d, d);
        }
        RowMath.affineRows(rows, n, d, w.wo(), w.bo(), d, proj);
        scatter(n, out);
    }

    /** G of each active row // [slots][d] -> out [slots][d] (active rows overwritten), all rows at once. */
    void feedForwardStep(double[] x, boolean[] active, double[] out) {
        int n = layerNormRows(x, active, w.ln2g(), w.ln2b());
        RowMath.affineRows(h, n, d, w.w1(), w.b1(), ffn, hidden);
        RowMath.gelu(hidden, 0, n * ffn);
        RowMath.affineRows(hidden, n, ffn, w.w2(), w.b2(), d, proj);
        scatter(n, out);
    }

    /** LayerNorm of each active row of {@code x} into the compact {@code h}; fills {@code rowOf}; returns their count. */
    private int layerNormRows(double[] x, boolean[] active, double[] gain, double[] bias) {
        int n = 0;
        for (int b = 0; b < slots; b++) {
            if (active[b]) {
                RowMath.layerNorm(x, b * d, d, gain, bias, h, n * d);
                rowOf[n++] = b;
            }
        }
        return n;
    }

    /** The compact {@code proj} rows back to their slots' rows of {@code out}. */
    private void scatter(int n, double[] out) {
        for (int r = 0; r < n; r++) {
            System.arraycopy(proj, r * d, out, rowOf[r] * d, d);
        }
    }

    /** Row {@code b}'s sink keys, rotated by {@code shift} positions past where they were stored, into its cache. */
    private void moveSinks(int b, int shift) {
        double[] kept = sinkKeys[b];
        if (!sinkKeysRead[b]) {
            for (int s = 0; s < sinks.length; s++) {
                for (int hh = 0; hh < heads; hh++) {
                    cache.readKey(b, hh, sinks[s], kept, s * d + hh * headDim);
                }
            }
            sinkKeysRead[b] = true;
        }
        pos[0] = shift;
        for (int s = 0; s < sinks.length; s++) {
            System.arraycopy(kept, s * d, one, 0, d);
            Rotary.forwardInPlace(one, 1, heads, headDim, pos, Rotary.BASE);
            for (int hh = 0; hh < heads; hh++) {
                cache.writeKey(b, hh, sinks[s], one, hh * headDim);
            }
        }
    }

    /** Rotates the {@code heads * headDim} values at {@code off} by the position {@code pos[0]} (RoPE). */
    private void rotate(double[] a, int off, int[] p) {
        System.arraycopy(a, off, one, 0, d);
        Rotary.forwardInPlace(one, 1, heads, headDim, p, Rotary.BASE);
        System.arraycopy(one, 0, a, off, d);
    }
}
