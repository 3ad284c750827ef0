package dev.sparseattn.trainer.model.attention;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Broadcast;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The rows of global queries (Longformer's global attention, Beltagy et al. 2020, section 3.1: "a token with a
 * global attention attends to all tokens across the sequence"): {@code G} queries against all {@code L} keys (all
 * keys at or before them when causal), O(G * L) time and memory. Their outputs replace whatever the local pattern
 * computed at those positions; in backward, the local pattern must see a zero output gradient there
 * ({@link #zeroRows}).
 */
final class GlobalRows {

    private int[] pos;
    private INDArray qg;      // [b, h, G, d]  q / sqrt(d)
    private INDArray k;
    private INDArray v;
    private INDArray probs;   // [b, h, G, L]
    private INDArray og;      // [b, h, G, d]

    /**
     * @param keyMask [batch, L] 1 = real key, or null
     */
    void forward(INDArray q, INDArray k, INDArray v, INDArray out, int[] pos, boolean causal, INDArray keyMask) {
        DataType t = q.dataType();
        int len = (int) q.size(2);
        long batch = q.size(0);
        this.pos = pos;
        this.k = k;
        this.v = v;
        qg = rows(q).muli(1.0 / Math.sqrt(q.size(3)));                                   // [b, h, G, d]
        probs = Nd4j.matmul(qg, k, false, true, false);                                  // [b, h, G, L]
        INDArray allowed = Nd4j.ones(t, keyMask == null ? 1 : batch, 1, pos.length, len);  // [b|1, 1, G, L]
        if (causal) {
            INDArray p = Nd4j.createFromArray(pos).castTo(t).reshape(pos.length, 1);
            INDArray j = Nd4j.arange(0, len).castTo(t).reshape(1, len);
            allowed.muli(Nd4j.zeros(t, pos.length, len).addiRowVector(j).subiColumnVector(p).lte(0).castTo(t)
                    .reshape(1, 1, pos.length, len));
        }
        if (keyMask != null) {
            allowed.muli(keyMask.castTo(t).reshape(batch, 1, 1, len));
        }
        INDArray rowOk = allowed.max(3).reshape(allowed.size(0), 1, pos.length, 1);    // [b|1, 1, G, 1]
        probs.addi(allowed.sub(1.0).muli(1e9)).addi(rowOk.rsub(1.0).muli(1e9));        // masked; empty rows lifted
        Nd4j.exec(new SoftMax(probs, probs, 3));
        probs.muli(rowOk);
        og = Nd4j.matmul(probs, v, false, false, false);                                 // [b, h, G, d]
        for (int i = 0; i < pos.length; i++) {
            row(out, pos[i]).assign(row(og, i));
        }
    }

    /** Sets the global rows of a {@code [batch, heads, L, d]} array to 0. */
    void zeroRows(INDArray a) {
        for (int p : pos) {
            row(a, p).assign(0);
        }
    }

    /** Overwrites the global rows of dq and adds to dk, dv. */
    void backward(INDArray dOut, INDArray dq, INDArray dk, INDArray dv) {
        INDArray dog = rows(dOut);                                                       // [b, h, G, d]
        dv.addi(Nd4j.matmul(probs, dog, true, false, false));                            // P^T dO
        INDArray ds = Nd4j.matmul(dog, v, false, true, false);                           // dP  [b, h, G, L]
        Broadcast.sub(ds, dog.mul(og).sum(3), ds, 0, 1, 2);
        ds.muli(probs);                                                                  // dS
        INDArray dqg = Nd4j.matmul(ds, k, false, false, false).muli(1.0 / Math.sqrt(dOut.size(3)));
        for (int i = 0; i < pos.length; i++) {
            row(dq, pos[i]).assign(row(dqg, i));
        }
        dk.addi(Nd4j.matmul(ds, qg, true, false, false));                                // dS^T Q / sqrt(d)
    }

    void clear() {
        qg = null;
        k = null;
        v = null;
        probs = null;
        og = null;
    }

    /** Copy of the global rows, {@code [b, h, G, d]} (G is small: a loop of row copies, valid on strided views). */
    private INDArray rows(INDArray a) {
        INDArray out = Nd4j.createUninitialized(a.dataType(), a.size(0), a.size(1), pos.length, a.size(3));
        for (int i = 0; i < pos.length; i++) {
            row(out, i).assign(row(a, pos[i]));
        }
        return out;
    }

    /**
     * Row {@code p} of a {@code [b, h, L, d]} array as a {@code [b, h, d]} view, built from the strides: in 1.0.0-M2.1
     * {@code get(all, all, point(L - 1), all)} on a permuted view returns an empty array.
     */
    static INDArray row(INDArray a, long p) {
        return Nd4j.create(a.data(), new long[] {a.size(0), a.size(1), a.size(3)},
                new long[] {a.stride(0), a.stride(1), a.stride(3)}, a.offset() + p * a.stride(2), a.ordering());
    }

    static long[] toLong(int[] a) {
        long[] out = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i];
        }
        return out;
    }
}
