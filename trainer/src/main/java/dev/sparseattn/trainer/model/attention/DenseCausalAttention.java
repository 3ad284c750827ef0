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
    private MaskedDenseAttention padded;   // the kernel while a key mask or document ids are set
    private INDArray keyMask;
    private INDArray segments;

    @Override
    public void forward(INDArray q, INDArray k, INDArray v, INDArray out, Alloc keep) {
        if (padded != null) {
            padded.forward(q, k, v, out, keep);
            return;
        }
        long batch = q.size(0);
        long heads = q.size(1);
        long len = q.size(2);
        double scale = 1.0 / Math.sqrt(q.size(3));
        Alloc alloc = keep != null ? keep : Alloc.current(q.dataType());

        INDArray scores = alloc.create(batch, heads, len, len);              // [batch, heads, L, L]
        Nd4j.matmul(q.mul(scale), k, scores, false, true, false);            // Q K^T / sqrt(d)
        Broadcast.add(scores, causalMask(len, q.dataType()), scores, 2, 3);  // future keys -> -1e9
        Nd4j.exec(new SoftMax(scores, scores, 3));                           // P, softmax over keys, in place
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
        if (padded != null) {
            padded.backward(dOut, dq, dk, dv);
            return;
        }
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
     * With key padding, a query may have no real key at all (e.g. the first position, padded): the kernel is then
     * {@link MaskedDenseAttention} under the causal pattern and the mask, which gives such rows output 0.
     */
    @Override
    public void setKeyMask(INDArray mask) {
        keyMask = mask;
        rebuild();
    }

    /** Documents of packed rows: the kernel is then {@link MaskedDenseAttention} under causal and same-document. */
    @Override
    public void setSegments(INDArray segments) {
        this.segments = segments;
        rebuild();
    }

    private void rebuild() {
        if (keyMask == null && segments == null) {
            padded = null;
            return;
        }
        padded = new MaskedDenseAttention(DenseCausalAttention::causalPattern);
        padded.setKeyMask(keyMask);
        padded.setSegments(segments);
    }

    /** 0/1 {@code [1, 1, L, L]}: key {@code j <= i}. */
    static INDArray causalPattern(long batch, long heads, int len) {
        INDArray pos = Nd4j.arange(0, len).castTo(DataType.DOUBLE);
        return Nd4j.zeros(DataType.DOUBLE, len, len).addiRowVector(pos).subiColumnVector(pos.reshape(len, 1))
                .lte(0).castTo(DataType.DOUBLE).reshape(1, 1, len, len);
    }

    @Override
    public void clear() {
        if (padded != null) {
            padded.clear();
        }
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
