package dev.sparseattn.trainer.model.attention;

import dev.sparseattn.trainer.model.ops.Alloc;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Broadcast;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Dense causal attention: query {@code i} attends to keys {@code j <= i} (GPT-2's masked self-attention).
 * Materialises the full {@code [batch, heads, L, L]} probability matrix: O(L^2) time and memory. This is the
 * reference implementation for the sparse patterns; it is written for clarity, using batched (rank-4) matrix
 * products over {@code batch * heads} and an in-place softmax.
 *
 * <p>Backward, with {@code P = softmax(S)}, {@code S = Q K^T / sqrt(d)} masked, {@code O = P V}:
 * {@code dV = P^T dO}, {@code dP = dO V^T}, {@code dS = P * (dP - rowsum(dP * P))}, {@code dQ = dS K / sqrt(d)},
 * {@code dK = dS^T Q / sqrt(d)}. The row sums use the identity {@code rowsum(dP * P) = rowsum(dO * O)}, which
 * needs only {@code [.., L, headDim]} arrays instead of another {@code [.., L, L]} product.
 */
public final class DenseCausalAttention implements Attention {

    /** Added to the scores of masked (future) keys; exp underflows to exactly 0 in float and double. */
    static final double MASKED = -1e9;

    private INDArray q;
    private INDArray k;
    private INDArray v;
    private INDArray out;
    private INDArray probs;
    private INDArray mask;
    private INDArray keyMask;     // [batch, L] 1 real, 0 padding; or null
    private INDArray segments;    // [batch, L] document ids; or null

    @Override
    public void forward(INDArray q, INDArray k, INDArray v, INDArray out, Alloc keep) {
        long batch = q.size(0);
        long heads = q.size(1);
        long len = q.size(2);
        double scale = 1.0 / Math.sqrt(q.size(3));
        Alloc alloc = keep != null ? keep : Alloc.current(q.dataType());

        INDArray scores = alloc.create(batch, heads, len, len);              // [batch, heads, L, L]
        Nd4j.matmul(q.mul(scale), k, scores, false, true, false);            // Q K^T / sqrt(d)
        INDArray rowOk = null;
        if (keyMask == null && segments == null) {
            Broadcast.add(scores, causalMask(len, q.dataType()), scores, 2, 3);  // future keys -> -1e9
        } else {
            INDArray bias = rowBias(batch, len, q.dataType());               // [batch, L, L], one per row
            rowOk = emptyQueries(bias);
            if (rowOk != null) {        // ND4J's softmax of a row of only ~-1e9 is NaN: unmask it, zeroed below
                Broadcast.mul(bias, rowOk, bias, 0, 1);
            }
            Broadcast.add(scores, bias, scores, 0, 2, 3);                    // + future / other document / padded
        }
        Nd4j.exec(new SoftMax(scores, scores, 3));                           // P, softmax over keys, in place
        if (rowOk != null) {
            Broadcast.mul(scores, rowOk, scores, 0, 2);                      // a query with no allowed key: P = 0
        }
        Nd4j.matmul(scores, v, out, false, false, false);                    // O = P V  [batch, heads, L, headDim]

        if (keep != null) {
            this.q = q;
            this.k = k;
            this.v = v;
            this.out = out;
            this.probs = scores;
        } else {
            clear();
        }
    }

    @Override
    public void backward(INDArray dOut, INDArray dq, INDArray dk, INDArray dv) {
        if (probs == null) {
            throw new IllegalStateException("backward needs a preceding forward that kept its state");
        }
        double scale = 1.0 / Math.sqrt(q.size(3));

        Nd4j.matmul(probs, dOut, dv, true, false, false);                    // dV = P^T dO
        INDArray ds = Nd4j.matmul(dOut, v, false, true, false);              // dP = dO V^T  [batch, heads, L, L]
        INDArray rowDot = dOut.mul(out).sum(3);                              // rowsum(dP*P) = rowsum(dO*O)  [batch, heads, L]
        Broadcast.sub(ds, rowDot, ds, 0, 1, 2);
        ds.muli(probs);                                                      // dS = P * (dP - rowsum)
        Nd4j.matmul(ds, k, dq, false, false, false);                         // dQ = dS K / sqrt(d)
        dq.muli(scale);
        Nd4j.matmul(ds, q.mul(scale), dk, true, false, false);               // dK = dS^T Q / sqrt(d)
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
     * {@code [batch, L]} 1 for a query with at least one allowed key, 0 otherwise; null when every query has one
     * (always without key padding: a query sees itself).
     */
    private INDArray emptyQueries(INDArray bias) {
        if (keyMask == null) {
            return null;
        }
        INDArray ok = bias.max(2).gt(MASKED / 2).castTo(bias.dataType());   // [batch, L]
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
        }
        return mask;
    }
}
