package dev.sparseattn.trainer.model.attention;

import dev.sparseattn.trainer.model.ops.Alloc;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Different patterns on different heads (Child et al. 2019, "Generating Long Sequences with Sparse Transformers",
 * section 4.3, "heads split between the factorised patterns"): part {@code p} runs on {@code counts[p]} consecutive
 * heads, through strided head views (no copies).
 */
public final class HeadSplitAttention implements Attention {

    private final int[] counts;
    private final Attention[] parts;

    public HeadSplitAttention(int[] counts, Attention... parts) {
        if (counts.length != parts.length) {
            throw new IllegalArgumentException(counts.length + " head counts for " + parts.length + " parts");
        }
        this.counts = counts.clone();
        this.parts = parts.clone();
    }

    @Override
    public void forward(INDArray q, INDArray k, INDArray v, INDArray out, Alloc keep) {
        check(q);
        long h0 = 0;
        for (int p = 0; p < parts.length; p++) {
            if (counts[p] > 0) {
                parts[p].forward(heads(q, h0, counts[p]), heads(k, h0, counts[p]), heads(v, h0, counts[p]),
                        heads(out, h0, counts[p]), keep);
            }
            h0 += counts[p];
        }
    }

    @Override
    public void backward(INDArray dOut, INDArray dq, INDArray dk, INDArray dv) {
        long h0 = 0;
        for (int p = 0; p < parts.length; p++) {
            if (counts[p] > 0) {
                parts[p].backward(heads(dOut, h0, counts[p]), heads(dq, h0, counts[p]), heads(dk, h0, counts[p]),
                        heads(dv, h0, counts[p]));
            }
            h0 += counts[p];
        }
    }

    @Override
    public void clear() {
        for (Attention a : parts) {
            a.clear();
        }
    }

    /** Every part attends to the same keys: the mask goes to all of them. */
    @Override
    public void setKeyMask(INDArray mask) {
        for (Attention a : parts) {
            a.setKeyMask(mask);
        }
    }

    @Override
    public void setDraw(int layer, long step) {
        for (Attention a : parts) {
            a.setDraw(layer, step);
        }
    }

    /** Every part attends within the same documents. */
    @Override
    public void setSegments(INDArray segments) {
        for (Attention a : parts) {
            a.setSegments(segments);
        }
    }

    private void check(INDArray q) {
        long total = 0;
        for (int c : counts) {
            total += c;
        }
        if (total != q.size(1)) {
            throw new IllegalArgumentException("head split " + java.util.Arrays.toString(counts) + " for " + q.size(1)
                    + " heads");
        }
    }

    /** Heads {@code h0 .. h0+n} of a {@code [b, h, L, d]} array as a view (built from the strides). */
    static INDArray heads(INDArray a, long h0, long n) {
        return Nd4j.create(a.data(), new long[] {a.size(0), n, a.size(2), a.size(3)}, a.stride(),
                a.offset() + h0 * a.stride(1), a.ordering());
    }
}
