package dev.sparseattn.trainer.model.attention.decode;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * One layer's key/value cache for incremental (one token at a time) causal decoding with an attention pattern
 * (Vaswani et al. 2017, eq. 1, with the pattern's mask): {@link #prefill} stores, from a full sequence's keys and
 * values, what later queries can still reach; {@link #step} takes one new token per batch row, stores its key and
 * value and returns its attention output, which equals the pattern's full causal forward at that position (each
 * pattern's class states its exact semantics).
 *
 * <p>Rows are independent sequences: each has its own length (the position of its next token), set by
 * {@link #prefill} (rows may start at different lengths) and advanced by {@link #step}; a token can be padding
 * (key mask 0: it takes a position, and is never attended, not even by itself). A query with no real key outputs 0.
 *
 * <p>Speed: a step is dominated by per-call overhead, not arithmetic (one query against at most a few thousand keys
 * per head), so it runs as plain Java loops over contiguous arrays ({@link KvStore}: float for a float32 model,
 * double for a double one; the query-key products and the weighted sum of values in the store's type, the softmax in
 * double), all rows and heads in one call; the {@link INDArray} overloads add one conversion in and one out. Subclasses say where a position is
 * stored ({@link #slot}) and which stored keys a query reads ({@link #collect}).
 */
public abstract class DecodeCache {

    protected final int batch;
    protected final int heads;
    protected final int dim;
    protected final int[] length;
    final KvStore store;
    private final double scale;
    private final Slots slots = new Slots();
    private double[] scores = new double[64];
    private int[] kept = new int[64];
    private final float[] queryF;  // a float store's query, rounded once per head   [headDim]
    private final float[] accF;    // a float store's weighted sum of values          [headDim]

    /**
     * @param storage the model's data type: keys and values are stored as floats for {@code FLOAT} (and the other
     *                16/32-bit floating types), as doubles for {@code DOUBLE}
     */
    protected DecodeCache(int batch, int heads, int dim, int capacity, boolean growable, DataType storage) {
        if (batch < 1 || heads < 1 || dim < 1) {
            throw new IllegalArgumentException("decode cache needs batch, heads and headDim >= 1, got " + batch + ", "
                    + heads + ", " + dim);
        }
        this.batch = batch;
        this.heads = heads;
        this.dim = dim;
        this.length = new int[batch];
        this.store = new KvStore(batch, heads, dim, capacity, growable, storage != DataType.DOUBLE);
        this.scale = 1.0 / Math.sqrt(dim);
        this.queryF = new float[dim];
        this.accF = new float[dim];
    }

    /** The slot that keeps position {@code p} of row {@code b}, head {@code h}; -1 if no later query reads it. */
    protected abstract int slot(int b, int h, int p);

    /** Adds to {@code out} the slots of the keys query {@code i} of row {@code b}, head {@code h} may read (once each). */
    protected abstract void collect(int b, int h, int i, Slots out);

    /**
     * The position ranges {@code [from, to)} of a prefilled row of {@code len} tokens whose keys are stored (each
     * position at most once); default: all.
     */
    protected int[][] prefillRanges(int b, int len) {
        return new int[][] {{0, len}};
    }

    /** Called when row {@code b} starts a new sequence. */
    protected void resetRow(int b) {
    }

    /**
     * Stores position {@code p} of row {@code b}, head {@code h} (its query {@code q}, used by patterns whose keys
     * derive from queries; key {@code k}; value {@code v}; each at an offset of {@code dim} doubles).
     */
    protected void append(int b, int h, int p, double[] q, int qOff, double[] k, int kOff, double[] v, int vOff,
                          boolean real) {
        int s = slot(b, h, p);
        if (s >= 0) {
            store.put(b, h, s, k, kOff, v, vOff, real);
        }
    }

    /** Whether {@link #append} needs the queries (keys derived from them). */
    protected boolean needsQueries() {
        return false;
    }

    /**
     * Copies the stored key of position {@code p} of row {@code b}, head {@code h} into {@code out[off .. off + dim)}.
     *
     * @throws IllegalArgumentException when no slot keeps that position
     */
    public void readKey(int b, int h, int p, double[] out, int off) {
        store.readKey(keyOffset(b, h, p), out, off);
    }

    /**
     * Replaces the stored key of position {@code p} of row {@code b}, head {@code h} by {@code src[off .. off + dim)},
     * keeping its value and flag (e.g. a rotary attention-sink key moved to another position).
     *
     * @throws IllegalArgumentException when no slot keeps that position
     */
    public void writeKey(int b, int h, int p, double[] src, int off) {
        store.writeKey(keyOffset(b, h, p), src, off);
    }

    private int keyOffset(int b, int h, int p) {
        int s = p < 0 || p >= length[b] ? -1 : slot(b, h, p);
        if (s < 0 || s >= store.capacity()) {
            throw new IllegalArgumentException("position " + p + " of row " + b + " is not kept by the "
                    + getClass().getSimpleName());
        }
        return store.offset(b, h, s);
    }

    /** Tokens of row {@code b} so far (the position of its next token). */
    public int length(int b) {
        return length[b];
    }

    /** Row {@code b} starts a new, empty sequence. */
    public void reset(int b) {
        length[b] = 0;
        store.clearRow(b);
        resetRow(b);
    }

    /** Bytes held by the stored keys, values and flags (not counting small per-pattern bookkeeping). */
    public long bytes() {
        return store.bytes();
    }

    /**
     * Starts every row anew from the keys and values of a full forward over its first {@code lengths[b]} tokens.
     *
     * @param q       queries, needed only by patterns whose keys derive from them (LSH), else may be null
     *                // [batch, heads, L, headDim]
     * @param k       keys    // [batch, heads, L, headDim]
     * @param v       values  // [batch, heads, L, headDim]
     * @param lengths tokens of each row ({@code <= L}; the rest of the row is ignored); null: all L
     * @param keyMask 1 = real token, 0 = padding // [batch, L]; null: all real
     */
    public void prefill(INDArray q, INDArray k, INDArray v, int[] lengths, INDArray keyMask) {
        check(q, k, batch);
        int len = (int) k.size(2);
        double[] mask = keyMask == null ? null : keyMask.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        for (int b = 0; b < batch; b++) {
            fill(b, q, k, v, b, lengths == null ? len : lengths[b], mask, len);
        }
    }

    /**
     * Starts row {@code row} anew from a full forward over one sequence (a request joining a running batch), the
     * other rows untouched.
     *
     * @param q       queries, needed only by LSH, else may be null // [1, heads, L, headDim]
     * @param k       // [1, heads, L, headDim]
     * @param v       // [1, heads, L, headDim]
     * @param keyMask 1 = real token, 0 = padding // [1, L]; null: all real
     */
    public void prefillRow(int row, INDArray q, INDArray k, INDArray v, INDArray keyMask) {
        if (row < 0 || row >= batch) {
            throw new IllegalArgumentException("row " + row + " outside a batch of " + batch);
        }
        check(q, k, 1);
        int len = (int) k.size(2);
        double[] mask = keyMask == null ? null : keyMask.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        fill(row, q, k, v, 0, len, mask, len);
    }

    private void check(INDArray q, INDArray k, int rows) {
        if (k.rank() != 4 || k.size(0) != rows || k.size(1) != heads || k.size(3) != dim) {
            throw new IllegalArgumentException("prefill keys " + Arrays.toString(k.shape()) + " do not fit [" + rows
                    + ", " + heads + ", L, " + dim + "]");
        }
        if (needsQueries() && q == null) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " derives its keys from the queries: "
                    + "prefill needs q");
        }
    }

    /** Row {@code b} from source row {@code src}'s first {@code n} positions ({@code mask}: [rows, len] or null). */
    private void fill(int b, INDArray q, INDArray k, INDArray v, int src, int n, double[] mask, int len) {
        if (n < 0 || n > len) {
            throw new IllegalArgumentException("prefill length " + n + " of row " + b + " outside [0, " + len + "]");
        }
        reset(b);
        for (int[] r : prefillRanges(b, n)) {
            if (r[1] <= r[0]) {
                continue;
            }
            int count = r[1] - r[0];
            double[] qs = needsQueries() ? rows(q, src, r[0], r[1]) : null;
            double[] ks = rows(k, src, r[0], r[1]);
            double[] vs = rows(v, src, r[0], r[1]);
            for (int h = 0; h < heads; h++) {
                for (int t = 0; t < count; t++) {
                    int p = r[0] + t;
                    int off = (h * count + t) * dim;
                    append(b, h, p, qs, off, ks, off, vs, off, mask == null || mask[src * len + p] != 0);
                }
            }
        }
        length[b] = n;
    }

    /** {@link #prefill} without queries (every pattern but LSH). */
    public void prefill(INDArray k, INDArray v, int[] lengths, INDArray keyMask) {
        prefill(null, k, v, lengths, keyMask);
    }

    /**
     * One new token per row, at position {@link #length}(b), which then advances.
     *
     * @param q       // [batch, heads, 1, headDim]
     * @param k       // [batch, heads, 1, headDim]
     * @param v       // [batch, heads, 1, headDim]
     * @param keyMask 1 = real token, 0 = padding // [batch] (or [batch, 1]); null: all real
     * @param out     attention output, overwritten // [batch, heads, 1, headDim]
     */
    public void step(INDArray q, INDArray k, INDArray v, INDArray keyMask, INDArray out) {
        long[] want = {batch, heads, 1, dim};
        for (INDArray a : new INDArray[] {q, k, v, out}) {
            if (!Arrays.equals(a.shape(), want)) {
                throw new IllegalArgumentException("decode step array " + Arrays.toString(a.shape()) + " is not "
                        + Arrays.toString(want));
            }
        }
        boolean[] real = null;
        if (keyMask != null) {
            double[] m = keyMask.castTo(DataType.DOUBLE).dup('c').data().asDouble();
            real = new boolean[batch];
            for (int b = 0; b < batch; b++) {
                real[b] = m[b] != 0;
            }
        }
        double[] o = new double[batch * heads * dim];
        step(flat(q), flat(k), flat(v), real, null, o);
        out.assign(Nd4j.createFromArray(o).reshape(batch, heads, 1, dim));
    }

    /**
     * {@link #step} on plain arrays, laid out {@code [batch][heads][headDim]}.
     *
     * @param real   per row, false = a padding token; null: all real
     * @param active per row, false = the row takes no token this step (its output is set to 0); null: all
     * @param out    overwritten
     */
    public void step(double[] q, double[] k, double[] v, boolean[] real, boolean[] active, double[] out) {
        int n = batch * heads * dim;
        if (q.length != n || k.length != n || v.length != n || out.length != n) {
            throw new IllegalArgumentException("decode step arrays must hold batch * heads * headDim = " + n);
        }
        for (int b = 0; b < batch; b++) {
            if (active != null && !active[b]) {
                Arrays.fill(out, b * heads * dim, (b + 1) * heads * dim, 0);
                continue;
            }
            int i = length[b];
            boolean isReal = real == null || real[b];
            for (int h = 0; h < heads; h++) {
                int off = (b * heads + h) * dim;
                append(b, h, i, q, off, k, off, v, off, isReal);
            }
            for (int h = 0; h < heads; h++) {
                int off = (b * heads + h) * dim;
                attend(b, h, i, q, off, out, off);
            }
            length[b] = i + 1;
        }
    }

    /** Softmax over the real keys among the collected slots, weighted sum of their values (0 if none). */
    private void attend(int b, int h, int i, double[] q, int qOff, double[] out, int oOff) {
        slots.clear();
        collect(b, h, i, slots);
        if (scores.length < slots.n) {
            scores = new double[Math.max(slots.n, 2 * scores.length)];
            kept = new int[scores.length];
        }
        boolean single = store.single;
        double[] ks = store.k;
        double[] vs = store.v;
        float[] kf = store.kf;
        float[] vf = store.vf;
        byte[] realFlags = store.real;
        if (single) {
            for (int d = 0; d < dim; d++) {
                queryF[d] = (float) q[qOff + d];
            }
        }
        int n = 0;
        double max = Double.NEGATIVE_INFINITY;
        for (int t = 0; t < slots.n; t++) {
            int s = slots.a[t];
            if (realFlags[store.flag(b, h, s)] == 0) {
                continue;
            }
            int ko = store.offset(b, h, s);
            double dot = (single ? dot(queryF, kf, ko, dim) : dot(q, qOff, ks, ko, dim)) * scale;
            scores[n] = dot;
            kept[n++] = s;
            max = Math.max(max, dot);
        }
        Arrays.fill(out, oOff, oOff + dim, 0);
        if (n == 0) {
            return;
        }
        double sum = 0;
        if (single) {
            Arrays.fill(accF, 0f);
        }
        for (int t = 0; t < n; t++) {
            double e = Math.exp(scores[t] - max);
            sum += e;
            int vo = store.offset(b, h, kept[t]);
            if (single) {
                float ef = (float) e;
                for (int d = 0; d < dim; d++) {
                    accF[d] += ef * vf[vo + d];
                }
            } else {
                for (int d = 0; d < dim; d++) {
                    out[oOff + d] += e * vs[vo + d];
                }
            }
        }
        double inv = 1.0 / sum;
        for (int d = 0; d < dim; d++) {
            out[oOff + d] = (single ? accF[d] : out[oOff + d]) * inv;
        }
    }

    /**
     * {@code a[ao ..+n) . b[bo ..+n)} with four partial sums: the JIT does not reorder a floating-point sum, so one
     * running sum is a chain of dependent additions (one per element, each waiting for the last); four independent
     * chains overlap. The order of the additions differs from a plain loop's by rounding only.
     */
    static double dot(double[] a, int ao, double[] b, int bo, int n) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += a[ao + i] * b[bo + i];
            s1 += a[ao + i + 1] * b[bo + i + 1];
            s2 += a[ao + i + 2] * b[bo + i + 2];
            s3 += a[ao + i + 3] * b[bo + i + 3];
        }
        for (; i < n; i++) {
            s0 += a[ao + i] * b[bo + i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /**
     * A float store's {@code a . b[bo ..+n)} in float, four partial sums. A float32 model's step keeps the cache's
     * arithmetic in float (the weighted sum of values too): the JIT vectorises a float loop over float arrays, not
     * one that widens floats to doubles, and the results stay within float32's rounding of the double ones (the
     * float32 exactness tests, 1e-4).
     */
    static double dot(float[] a, float[] b, int bo, int n) {
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += a[i] * b[bo + i];
            s1 += a[i + 1] * b[bo + i + 1];
            s2 += a[i + 2] * b[bo + i + 2];
            s3 += a[i + 3] * b[bo + i + 3];
        }
        for (; i < n; i++) {
            s0 += a[i] * b[bo + i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** Positions {@code from .. to} of row {@code b} as doubles, {@code [heads, to - from, headDim]}. */
    private static double[] rows(INDArray a, int b, int from, int to) {
        return a.get(NDArrayIndex.point(b), NDArrayIndex.all(), NDArrayIndex.interval(from, to), NDArrayIndex.all())
                .castTo(DataType.DOUBLE).dup('c').data().asDouble();
    }

    private static double[] flat(INDArray a) {
        return a.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    }
}
