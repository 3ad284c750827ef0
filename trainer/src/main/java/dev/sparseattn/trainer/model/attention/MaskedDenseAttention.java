package dev.sparseattn.trainer.model.attention;

import dev.sparseattn.trainer.model.ops.Alloc;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Broadcast;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Dense attention under an explicit pattern (Vaswani et al. 2017, eq. 1, with an arbitrary 0/1 mask): the O(L^2)
 * reference that every sparse pattern is checked against, and a fallback for patterns without a sparse kernel.
 * A query with no allowed key outputs 0 (as in the sparse kernels). Key padding and document ids
 * ({@link #setSegments}) multiply the pattern.
 */
public final class MaskedDenseAttention extends DetachedAttention {

    /** The allowed (1) and masked (0) query/key pairs for a batch and length. */
    @FunctionalInterface
    public interface Pattern {
        /** 0/1 array {@code [batch or 1, heads or 1, L, L]} (query, key). */
        INDArray allowed(long batch, long heads, int len);
    }

    private final Pattern pattern;
    private INDArray q;
    private INDArray k;
    private INDArray v;
    private INDArray out;
    private INDArray probs;

    public MaskedDenseAttention(Pattern pattern) {
        this.pattern = pattern;
    }

    @Override
    protected void forwardDetached(INDArray q, INDArray k, INDArray v, INDArray out, Alloc keep) {
        long batch = q.size(0);
        long heads = q.size(1);
        int len = (int) q.size(2);
        double scale = 1.0 / Math.sqrt(q.size(3));
        INDArray allowed = pattern.allowed(batch, heads, len).castTo(q.dataType());   // [b|1, h|1, L, L]
        if (keyMask != null) {
            if (keyMask.size(0) != batch) {
                throw new IllegalArgumentException("key mask of " + keyMask.size(0) + " rows for a batch of " + batch);
            }
            allowed = allowed.broadcast(batch, allowed.size(1), len, len).dup('c')
                    .muli(keyMask.castTo(q.dataType()).reshape(batch, 1, 1, len));        // padded keys: never
        }
        if (segments != null) {
            Segments.check(segments, batch, len);
            INDArray seg = segments.castTo(q.dataType());
            allowed = allowed.broadcast(batch, allowed.size(1), len, len).dup('c')
                    .muli(Segments.same(seg.reshape(batch, 1, len, 1), seg.reshape(batch, 1, 1, len), q.dataType(),
                            batch, 1, len, len));                                     // other documents: never
        }
        INDArray scores = Nd4j.create(q.dataType(), batch, heads, len, len);          // [batch, heads, L, L]
        Nd4j.matmul(q.mul(scale), k, scores, false, true, false);
        scores.addi(allowed.sub(1.0).muli(1e9));
        INDArray rowOk = allowed.max(3);                                              // [b|1, h|1, L]
        INDArray rowOk4 = rowOk.reshape(rowOk.size(0), rowOk.size(1), len, 1);
        scores.addi(rowOk4.rsub(1.0).muli(1e9));    // softmax gives NaN on rows of only -1e9: lift empty rows
        Nd4j.exec(new SoftMax(scores, scores, 3));
        scores.muli(rowOk4);                                                          // empty rows -> 0
        Nd4j.matmul(scores, v, out, false, false, false);
        this.q = q;
        this.k = k;
        this.v = v;
        this.out = out;
        this.probs = scores;
    }

    @Override
    public void backward(INDArray dOut, INDArray dq, INDArray dk, INDArray dv) {
        double scale = 1.0 / Math.sqrt(q.size(3));
        Nd4j.matmul(probs, dOut, dv, true, false, false);
        INDArray ds = Nd4j.matmul(dOut, v, false, true, false);
        INDArray rowDot = dOut.mul(out).sum(3);
        Broadcast.sub(ds, rowDot, ds, 0, 1, 2);
        ds.muli(probs);
        Nd4j.matmul(ds, k, dq, false, false, false);
        dq.muli(scale);
        Nd4j.matmul(ds, q.mul(scale), dk, true, false, false);
    }


    @Override
    public void clear() {
        q = null;
        k = null;
        v = null;
        out = null;
        probs = null;
    }
}
