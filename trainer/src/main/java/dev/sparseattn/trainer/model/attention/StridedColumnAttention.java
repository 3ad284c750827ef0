package dev.sparseattn.trainer.model.attention;

import dev.sparseattn.trainer.model.ops.Alloc;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The second factor of the Sparse Transformer's strided pattern (Child et al. 2019, "Generating Long Sequences with
 * Sparse Transformers", section 4.2, {@code A(2)_i = {j : (i - j) mod l = 0}}): query {@code i} attends to every
 * {@code l}-th position (only earlier ones when causal). Positions are regrouped by residue {@code i mod l}: each
 * residue class of {@code ceil(L / l)} positions is one small dense problem, {@code [batch * heads, l, L/l, L/l]}
 * scores, O(L^2 / l) time and memory (O(L^1.5) with {@code l = sqrt(L)}).
 */
public final class StridedColumnAttention extends DetachedAttention {

    private final int stride;
    private final boolean causal;
    private final DenseCore core = new DenseCore();
    private long batch;
    private long heads;
    private int len;
    private int rows;   // ceil(L / l)

    public StridedColumnAttention(int stride, boolean causal) {
        if (stride < 1) {
            throw new IllegalArgumentException("stride must be >= 1, got " + stride);
        }
        this.stride = stride;
        this.causal = causal;
    }

    @Override
    protected void forwardDetached(INDArray q, INDArray k, INDArray v, INDArray out, Alloc keep) {
        batch = q.size(0);
        heads = q.size(1);
        len = (int) q.size(2);
        rows = (len + stride - 1) / stride;
        DataType t = q.dataType();
        INDArray pattern = mask(t);
        INDArray keys = keyMask == null ? null : keyMaskByResidue(t);
        Segments.check(segments, batch, len);
        INDArray docs = segments == null ? null : documentsByResidue(t);
        INDArray o = core.forward(toResidues(q).muli(1.0 / Math.sqrt(q.size(3))), toResidues(k), toResidues(v), s -> {
            s.addi(pattern);
            if (keys != null) {
                s.reshape('c', batch, heads, stride, rows, rows).addi(keys);
            }
            if (docs != null) {
                s.reshape('c', batch, heads, stride, rows, rows).addi(docs);
            }
        });
        out.assign(fromResidues(o));
        if (keep == null) {
            core.clear();
        }
    }

    @Override
    public void backward(INDArray dOut, INDArray dq, INDArray dk, INDArray dv) {
        INDArray[] g = core.backward(toResidues(dOut));
        dq.assign(fromResidues(g[0])).muli(1.0 / Math.sqrt(dOut.size(3)));
        dk.assign(fromResidues(g[1]));
        dv.assign(fromResidues(g[2]));
    }

    @Override
    public void clear() {
        core.clear();
    }


    /** Additive {@code [b, 1, l, 1, rows]}: the key of residue {@code r}, row {@code a} is padding. */
    private INDArray keyMaskByResidue(DataType t) {
        INDArray real = Nd4j.zeros(t, batch, (long) rows * stride);
        real.get(NDArrayIndex.all(), NDArrayIndex.interval(0, len)).assign(keyMask.castTo(t).reshape(batch, len));
        return real.reshape('c', batch, rows, stride).permute(0, 2, 1).dup('c').subi(1.0)
                .muli(-BlockBandAttention.MASKED).reshape('c', batch, 1, stride, 1, rows);
    }

    /**
     * Additive {@code [b, 1, l, rows, rows]}: query row {@code a} and key row {@code c} of residue {@code r} belong to
     * different documents (the size of one head's scores).
     */
    private INDArray documentsByResidue(DataType t) {
        INDArray byResidue = Segments.padded(segments, t, 0, (long) rows * stride)
                .reshape('c', batch, rows, stride).permute(0, 2, 1).dup('c');             // [b, l, rows]
        return Segments.additive(byResidue.reshape('c', batch, 1, stride, rows, 1),
                byResidue.reshape('c', batch, 1, stride, 1, rows), t, batch, 1, stride, rows, rows);
    }

    /** {@code [b, h, L, d]} -> zero-padded, regrouped copy {@code [b*h, l, rows, d]} (residue, then position). */
    private INDArray toResidues(INDArray a) {
        long d = a.size(3);
        INDArray padded = Nd4j.create(a.dataType(), batch, heads, (long) rows * stride, d);
        padded.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, len), NDArrayIndex.all()).assign(a);
        return padded.reshape('c', batch * heads, rows, stride, d).permute(0, 2, 1, 3).dup('c');
    }

    /** Inverse of {@link #toResidues}: {@code [b*h, l, rows, d]} -> {@code [b, h, L, d]} view of a copy. */
    private INDArray fromResidues(INDArray r) {
        long d = r.size(3);
        return r.permute(0, 2, 1, 3).dup('c').reshape('c', batch, heads, (long) rows * stride, d)
                .get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, len), NDArrayIndex.all());
    }

    /** Additive mask {@code [1, l, rows, rows]}: key row {@code b} of residue {@code r} is real and not in the future. */
    private INDArray mask(DataType t) {
        INDArray a = Nd4j.arange(0, rows).castTo(t);
        INDArray res = Nd4j.arange(0, stride).castTo(t);
        INDArray keyPos = Nd4j.zeros(t, stride, rows).addiRowVector(a.mul(stride)).addiColumnVector(res.reshape(stride, 1));
        INDArray ok = keyPos.lt(len).castTo(t).reshape(stride, 1, rows);                 // [l, 1, rows]: real key
        INDArray allowed = Nd4j.ones(t, stride, rows, rows).muli(ok);                     // [l, rows(query), rows(key)]
        if (causal) {
            INDArray later = Nd4j.zeros(t, rows, rows).addiRowVector(a).subiColumnVector(a.reshape(rows, 1));
            allowed.muli(later.lte(0).castTo(t).reshape(1, rows, rows));
        }
        return allowed.subi(1.0).muli(-BlockBandAttention.MASKED).reshape(1, stride, rows, rows);
    }
}
