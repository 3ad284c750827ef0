package dev.sparseattn.trainer.model.attention;

import java.util.function.Consumer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code O = softmax(Q K^T + M) V} with a hand-written backward, over batched arrays of any leading shape
 * ({@code [..., Lq, d]} against {@code [..., Lk, d]}, c-contiguous), the additive pattern {@code M} (0 or
 * {@link BlockBandAttention#MASKED}) added to the scores in place by the caller's {@code addMask}, so that it can stay
 * at a broadcastable shape. Queries with no allowed key output 0. Used by the patterns that regroup positions into
 * small dense problems (Sparse Transformer strided and fixed columns). Backward overwrites the probabilities with the
 * score gradients, a chunk of rows at a time: the only score-sized array is P.
 */
final class DenseCore {

    private INDArray q;
    private INDArray k;
    private INDArray v;
    private INDArray probs;
    private INDArray out;

    /** @param q queries, already scaled by {@code 1/sqrt(d)} (kept by reference, as are k and v) */
    INDArray forward(INDArray q, INDArray k, INDArray v, Consumer<INDArray> addMask) {
        int r = q.rank();
        INDArray s = Nd4j.matmul(q, k, false, true, false);                    // [..., Lq, Lk]
        addMask.accept(s);
        INDArray rowMax = s.max(r - 1);
        INDArray rowOk = rowMax.gt(BlockBandAttention.MASKED / 2).castTo(s.dataType());   // [..., Lq]
        Views.flatRows(s).muliColumnVector(Views.column(rowOk));   // empty rows -> 0 (softmax NaNs on very negative)
        Nd4j.exec(new SoftMax(s, s, r - 1));
        Views.flatRows(s).muliColumnVector(Views.column(rowOk));   // and then to 0 output
        Views.release(rowMax);
        this.q = q;
        this.k = k;
        this.v = v;
        this.probs = s;
        this.out = Nd4j.matmul(s, v, false, false, false);                    // [..., Lq, d]
        return out;
    }

    /** Gradients {dq (w.r.t. the scaled q), dk, dv}, newly allocated; once per forward (P is consumed). */
    INDArray[] backward(INDArray dOut) {
        if (probs == null) {
            throw new IllegalStateException("backward needs a preceding forward that kept its state");
        }
        int r = q.rank();
        INDArray dv = Nd4j.matmul(probs, dOut, true, false, false);
        INDArray prod = dOut.mul(out);
        INDArray rowDot = prod.sum(r - 1);                                     // rowsum(dO * O)  [..., Lq]
        Views.release(prod);
        scoreGradients(dOut, rowDot);
        INDArray ds = probs;
        INDArray dq = Nd4j.matmul(ds, k, false, false, false);
        INDArray dk = Nd4j.matmul(ds, q, true, false, false);
        Views.release(probs, out, rowDot);
        probs = null;
        out = null;
        return new INDArray[] {dq, dk, dv};
    }

    /** {@code P := P * (dO V^T - rowDot)} in chunks of (leading index, query rows). */
    private void scoreGradients(INDArray dOut, INDArray rowDot) {
        long lq = probs.size(-2);
        long lk = probs.size(-1);
        long d = dOut.size(-1);
        long lead = probs.length() / (lq * lk);
        INDArray p3 = probs.reshape('c', lead, lq, lk);
        INDArray dOutC = dOut.dup('c');              // released below: closing a reshape frees nothing
        INDArray do3 = dOutC.reshape('c', lead, lq, d);
        INDArray v3 = v.reshape('c', lead, v.size(-2), d);
        INDArray rd = rowDot.reshape('c', lead, lq);
        long perLead = lq * lk;
        long aStep = perLead <= Views.chunkElements ? Math.max(1, Math.min(lead, Views.chunkElements / perLead)) : 1;
        long qStep = perLead <= Views.chunkElements ? lq : Math.max(1, Views.chunkElements / lk);
        INDArray scratch = Scratch.get(Scratch.Slot.SCORES, probs.dataType(), aStep * qStep * lk);
        for (long a0 = 0; a0 < lead; a0 += aStep) {
            long na = Math.min(aStep, lead - a0);
            for (long q0 = 0; q0 < lq; q0 += qStep) {
                long nq = Math.min(qStep, lq - q0);
                INDArray t = Views.prefix(scratch, na, nq, lk);
                Nd4j.matmul(Views.range01(do3, a0, na, q0, nq), Views.range0(v3, a0, na), t, false, true, false);
                Views.flatRows(t).subiColumnVector(Views.column(Views.range01(rd, a0, na, q0, nq)));
                Views.range01(p3, a0, na, q0, nq).muli(t);
            }
        }
        Views.release(dOutC);
    }

    void clear() {
        q = null;
        k = null;
        v = null;
        probs = null;
        out = null;
    }
}
