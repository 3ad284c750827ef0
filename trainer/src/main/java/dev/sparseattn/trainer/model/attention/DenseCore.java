package dev.sparseattn.trainer.model.attention;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Broadcast;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code O = softmax(Q K^T + M) V} with a hand-written backward, over batched arrays of any leading shape
 * ({@code [..., Lq, d]} against {@code [..., Lk, d]}), {@code M} additive (0 or {@link BlockBandAttention#MASKED}) and
 * broadcastable to the scores {@code [..., Lq, Lk]}. Queries with no allowed key output 0. Used by the patterns that
 * regroup positions into small dense problems (Sparse Transformer strided and fixed columns).
 */
final class DenseCore {

    private INDArray q;
    private INDArray k;
    private INDArray v;
    private INDArray probs;
    private INDArray out;

    /** @param q queries, already scaled by {@code 1/sqrt(d)} (kept by reference, as are k and v) */
    INDArray forward(INDArray q, INDArray k, INDArray v, INDArray mask) {
        int r = q.rank();
        int[] lead = new int[r - 1];
        for (int i = 0; i < lead.length; i++) {
            lead[i] = i;
        }
        INDArray s = Nd4j.matmul(q, k, false, true, false);                    // [..., Lq, Lk]
        s.addi(mask);
        INDArray rowOk = s.max(r - 1).gt(BlockBandAttention.MASKED / 2).castTo(s.dataType());   // [..., Lq]
        Broadcast.add(s, rowOk.rsub(1.0).muli(-BlockBandAttention.MASKED), s, lead);  // softmax NaNs on empty rows
        Nd4j.exec(new SoftMax(s, s, r - 1));
        Broadcast.mul(s, rowOk, s, lead);
        this.q = q;
        this.k = k;
        this.v = v;
        this.probs = s;
        this.out = Nd4j.matmul(s, v, false, false, false);                    // [..., Lq, d]
        return out;
    }

    /** Gradients {dq (w.r.t. the scaled q), dk, dv}, newly allocated. */
    INDArray[] backward(INDArray dOut) {
        int r = q.rank();
        int[] lead = new int[r - 1];
        for (int i = 0; i < lead.length; i++) {
            lead[i] = i;
        }
        INDArray dv = Nd4j.matmul(probs, dOut, true, false, false);
        INDArray ds = Nd4j.matmul(dOut, v, false, true, false);
        Broadcast.sub(ds, dOut.mul(out).sum(r - 1), ds, lead);
        ds.muli(probs);
        INDArray dq = Nd4j.matmul(ds, k, false, false, false);
        INDArray dk = Nd4j.matmul(ds, q, true, false, false);
        return new INDArray[] {dq, dk, dv};
    }

    void clear() {
        q = null;
        k = null;
        v = null;
        probs = null;
        out = null;
    }
}
