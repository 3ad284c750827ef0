package dev.sparseattn.trainer.model.attention;

import dev.sparseattn.trainer.model.ops.Alloc;
import org.nd4j.linalg.api.blas.params.MMulTranspose;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Broadcast;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Dense causal attention: query {@code i} attends to keys {@code j <= i} (GPT-2's masked self-attention).
 * Materialises the probabilities of every query against every key up to its own block's end: O(L^2) time and
 * memory. This is the reference implementation for the sparse patterns, using batched (rank-4) matrix products over
 * {@code batch * heads} and an in-place softmax.
 *
 * <p>Causal blocking: the queries are cut into blocks of {@link #DEFAULT_QUERY_BLOCK} rows, and block {@code i}
 * (queries {@code [q0, q1)}) is scored only against keys {@code [0, q1)}: the key blocks right of the diagonal,
 * all masked, are never computed. With {@code n} blocks that is {@code (n + 1) / 2n} of the products and
 * element-wise work of the full {@code [L, L]} scores (3/4 for 2 blocks, 5/8 for 4, 9/16 for 8), the same idea as
 * the block skipping of FlashAttention (Dao et al. 2022, section 3.1) without its tiling of the keys.
 *
 * <p>Backward, with {@code P = softmax(S)}, {@code S = Q K^T / sqrt(d)} masked, {@code O = P V}:
 * {@code dV = P^T dO}, {@code dP = dO V^T}, {@code dS = P * (dP - rowsum(dP * P))}, {@code dQ = dS K / sqrt(d)},
 * {@code dK = dS^T Q / sqrt(d)}, per query block, the blocks' {@code dV} and {@code dK} summed over their key
 * prefixes. The row sums use the identity {@code rowsum(dP * P) = rowsum(dO * O)}, which needs only
 * {@code [.., L, headDim]} arrays instead of another {@code [.., L, L]} product. The {@code 1 / sqrt(d)} is the
 * products' alpha, not a pass over q.
 */
public final class DenseCausalAttention implements Attention {

    /** Added to the scores of masked (future) keys; exp underflows to exactly 0 in float and double. */
    static final double MASKED = -1e9;

    /** Query rows per causal block (measured on the quickstart and text shapes, see README "Training step profile"). */
    static final int DEFAULT_QUERY_BLOCK = 64;

    private final int queryBlock;
    private INDArray q;
    private INDArray k;
    private INDArray v;
    private INDArray out;
    private INDArray[] probs;     // per query block [batch, heads, q1 - q0, q1]
    private INDArray mask;        // [L, L] additive causal mask
    private INDArray[] blockMasks;   // per query block: rows [q0, q1) of mask, keys [0, q1), contiguous
    private INDArray keyMask;     // [batch, L] 1 real, 0 padding; or null
    private INDArray segments;    // [batch, L] document ids; or null

    public DenseCausalAttention() {
        this(DEFAULT_QUERY_BLOCK);
    }

    /** @param queryBlock query rows per causal block; {@code >= L} computes the full {@code [L, L]} scores */
    DenseCausalAttention(int queryBlock) {
        if (queryBlock < 1) {
            throw new IllegalArgumentException("query block " + queryBlock + " < 1");
        }
        this.queryBlock = queryBlock;
    }

    @Override
    public void forward(INDArray q, INDArray k, INDArray v, INDArray out, Alloc keep) {
        long batch = q.size(0);
        long heads = q.size(1);
        long len = q.size(2);
        double scale = 1.0 / Math.sqrt(q.size(3));
        DataType type = q.dataType();
        Alloc alloc = keep != null ? keep : Alloc.current(type);
        int nb = (int) ((len + queryBlock - 1) / queryBlock);
        INDArray bias = keyMask == null && segments == null ? null : rowBias(batch, len, type);   // [batch, L, L]
        INDArray[] p = new INDArray[nb];
        for (int b = 0; b < nb; b++) {
            long q0 = (long) b * queryBlock;
            long q1 = Math.min(len, q0 + queryBlock);
            INDArray s = alloc.create(batch, heads, q1 - q0, q1);                       // [batch, heads, nq, q1]
            mmul(rows(q, q0, q1, len), rows(k, 0, q1, len), s, scale, 0, false, true);  // Q K^T / sqrt(d)
            INDArray rowOk = null;
            if (bias == null) {
                flat(s, batch * heads).addiRowVector(blockMask(len, type, b, q0, q1));    // future keys -> -1e9
            } else {
                INDArray bb = nb == 1 ? bias : bias.get(NDArrayIndex.all(), NDArrayIndex.interval(q0, q1),
                        NDArrayIndex.interval(0, q1)).dup('c');                          // [batch, nq, q1]
                rowOk = emptyQueries(bb);
                if (rowOk != null) {    // ND4J's softmax of a row of only ~-1e9 is NaN: unmask it, zeroed below
                    Broadcast.mul(bb, rowOk, bb, 0, 1);
                }
                Broadcast.add(s, bb, s, 0, 2, 3);                                        // + future / other doc / pad
            }
            Nd4j.exec(new SoftMax(s, s, 3));                                             // P over keys, in place
            if (rowOk != null) {
                Broadcast.mul(s, rowOk, s, 0, 2);                                        // no allowed key: P = 0
            }
            mmul(s, rows(v, 0, q1, len), rows(out, q0, q1, len), 1, 0, false, false);   // O = P V
            p[b] = s;
        }

        if (keep != null) {
            this.q = q;
            this.k = k;
            this.v = v;
            this.out = out;
            this.probs = p;
        } else {
            clear();
        }
    }

    @Override
    public void backward(INDArray dOut, INDArray dq, INDArray dk, INDArray dv) {
        if (probs == null) {
            throw new IllegalStateException("backward needs a preceding forward that kept its state");
        }
        long batch = q.size(0);
        long heads = q.size(1);
        long len = q.size(2);
        double scale = 1.0 / Math.sqrt(q.size(3));
        // rowsum(dP * P) = rowsum(dO * O) of every query at once, on contiguous copies: element-wise work on the
        // strided head views, block by block, took 18 of 240 ms at [8, 8, 512, 32]; the copies take about 1 ms
        INDArray rowDots = dOut.dup('c').muli(out.dup('c')).sum(3);                     // [batch, heads, L]
        // the last block sees every key: it writes dV and dK, the earlier blocks add to their key prefixes
        for (int b = probs.length - 1; b >= 0; b--) {
            long q0 = (long) b * queryBlock;
            long q1 = Math.min(len, q0 + queryBlock);
            double beta = b == probs.length - 1 ? 0 : 1;
            INDArray p = probs[b];                                                      // [batch, heads, nq, q1]
            INDArray dOutB = rows(dOut, q0, q1, len);
            mmul(p, dOutB, rows(dv, 0, q1, len), 1, beta, true, false);                 // dV (+)= P^T dO
            INDArray ds = Scratch.get(Scratch.Slot.SCORES, p.dataType(), batch, heads, q1 - q0, q1);
            mmul(dOutB, rows(v, 0, q1, len), ds, 1, 0, false, true);                    // dP = dO V^T
            INDArray rowDot = q0 == 0 && q1 == len ? rowDots : rows(rowDots, q0, q1, len).dup('c');   // contiguous
            Views.flatRows(ds).subiColumnVector(Views.column(rowDot));
            ds.muli(p);                                                                 // dS = P * (dP - rowsum)
            mmul(ds, rows(k, 0, q1, len), rows(dq, q0, q1, len), scale, 0, false, false);     // dQ = dS K / sqrt(d)
            mmul(ds, rows(q, q0, q1, len), rows(dk, 0, q1, len), scale, beta, true, false);   // dK (+)= dS^T Q / sqrt(d)
        }
    }

    /** {@code c = alpha op(a) op(b) + beta c}, batched over the leading dimensions. */
    private static void mmul(INDArray a, INDArray b, INDArray c, double alpha, double beta, boolean ta, boolean tb) {
        Nd4j.exec(new Mmul(a, b, c, alpha, beta, new MMulTranspose(ta, tb, false)));
    }

    /** Positions {@code [from, to)} of {@code x} {@code [batch, heads, L, ...]} (x itself when that is all of it). */
    private static INDArray rows(INDArray x, long from, long to, long len) {
        return from == 0 && to == len ? x : Views.range(x, 2, from, to - from);
    }

    /** A c-contiguous {@code [.., n, m]} as {@code [lead, n * m]}. */
    private static INDArray flat(INDArray s, long lead) {
        return s.reshape('c', lead, s.length() / lead);
    }

    /**
     * Key padding: padded keys are masked like future ones. A query may then have no allowed key at all (e.g. a
     * padded first position): its probabilities, and so its output, are 0, as in {@link MaskedDenseAttention}.
     */
    @Override
    public void setKeyMask(INDArray mask) {
        keyMask = mask;
    }

    /** Documents of packed rows: keys of another document are masked like future ones. */
    @Override
    public void setSegments(INDArray segments) {
        this.segments = segments;
    }

    /**
     * Additive mask of each row, {@code [batch, L, L]}: 0 where key {@code j <= i} is real and in query {@code i}'s
     * document, a multiple of {@link #MASKED} otherwise (future, other document and padded each add one). Built
     * once per forward at {@code 1 / heads} of the scores' size, then broadcast over heads.
     */
    private INDArray rowBias(long batch, long len, DataType type) {
        INDArray bias;
        if (segments != null) {
            Segments.check(segments, batch, len);
            bias = Segments.additive(segments.reshape(batch, len, 1), segments.reshape(batch, 1, len), type,
                    batch, len, len);                                        // other documents -> MASKED
        } else {
            bias = Nd4j.zeros(type, batch, len, len);
        }
        Broadcast.add(bias, causalMask(len, type), bias, 1, 2);              // future keys -> MASKED
        if (keyMask != null) {
            if (keyMask.size(0) != batch || keyMask.size(1) != len) {
                throw new IllegalArgumentException("key mask " + java.util.Arrays.toString(keyMask.shape())
                        + " for a batch of " + batch + " rows of " + len + " tokens");
            }
            INDArray padded = keyMask.castTo(type).rsub(1.0).muli(MASKED);   // [batch, L]: padded keys -> MASKED
            Broadcast.add(bias, padded, bias, 0, 2);
        }
        return bias;
    }

    /**
     * {@code [batch, nq]} 1 for a query with at least one allowed key, 0 otherwise; null when every query has one
     * (always without key padding: a query sees itself).
     */
    private INDArray emptyQueries(INDArray bias) {
        if (keyMask == null) {
            return null;
        }
        INDArray ok = bias.max(2).gt(MASKED / 2).castTo(bias.dataType());   // [batch, nq]
        return ok.minNumber().doubleValue() > 0 ? null : ok;
    }

    /** 0/1 {@code [1, 1, L, L]}: key {@code j <= i}. */
    static INDArray causalPattern(long batch, long heads, int len) {
        INDArray pos = Nd4j.arange(0, len).castTo(DataType.DOUBLE);
        return Nd4j.zeros(DataType.DOUBLE, len, len).addiRowVector(pos).subiColumnVector(pos.reshape(len, 1))
                .lte(0).castTo(DataType.DOUBLE).reshape(1, 1, len, len);
    }

    @Override
    public void clear() {
        q = null;
        k = null;
        v = null;
        out = null;
        probs = null;
    }

    /** Additive causal mask, 0 where key <= query and {@link #MASKED} above the diagonal; cached, outside workspaces. */
    @SuppressWarnings("try")
    private INDArray causalMask(long len, DataType type) {
        if (mask == null || mask.size(0) != len || mask.dataType() != type) {
            // Not Nd4j.tri: in 1.0.0-M2.1 it returns [[0]] for a 1x1 matrix.
            try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
                INDArray pos = Nd4j.arange(0, len).castTo(type);                      // [L]
                INDArray keyMinusQuery = Nd4j.zeros(type, len, len)
                        .addiRowVector(pos).subiColumnVector(pos.reshape(len, 1));    // [L, L]: j - i
                mask = keyMinusQuery.gt(0).castTo(type).muli(MASKED);                 // future keys -> MASKED
            }
            blockMasks = null;
        }
        return mask;
    }

    /** Rows {@code [q0, q1)}, keys {@code [0, q1)} of the causal mask as one row {@code [1, (q1 - q0) q1]}; cached. */
    @SuppressWarnings("try")
    private INDArray blockMask(long len, DataType type, int block, long q0, long q1) {
        INDArray full = causalMask(len, type);
        int nb = (int) ((len + queryBlock - 1) / queryBlock);
        if (blockMasks == null || blockMasks.length != nb) {
            blockMasks = new INDArray[nb];
        }
        if (blockMasks[block] == null) {
            try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
                blockMasks[block] = full.get(NDArrayIndex.interval(q0, q1), NDArrayIndex.interval(0, q1))
                        .dup('c').reshape(1, (q1 - q0) * q1);
            }
        }
        return blockMasks[block];
    }
}
