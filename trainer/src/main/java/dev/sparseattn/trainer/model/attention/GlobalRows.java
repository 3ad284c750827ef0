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
 * ({@link #zeroRows}). The positions are shared by every batch row ({@code pos[0]}) or given per batch row
 * ({@code pos[b]}), padded with -1 (an unused slot: no row).
 */
final class GlobalRows {

    private int[][] pos;
    private INDArray qg;      // [b, h, G, d]  q / sqrt(d)
    private INDArray k;
    private INDArray v;
    private INDArray probs;   // [b, h, G, L]
    private INDArray og;      // [b, h, G, d]

    /**
     * @param pos     [1 or batch][G] positions, -1 unused
     * @param keyMask [batch, L] 1 = real key, or null
     * @param segments [batch, L] document ids (a global query reads its own document only), or null
     */
    void forward(INDArray q, INDArray k, INDArray v, INDArray out, int[][] pos, boolean causal, INDArray keyMask,
                 INDArray segments) {
        DataType t = q.dataType();
        int len = (int) q.size(2);
        long batch = q.size(0);
        int ng = pos[0].length;
        this.pos = pos;
        this.k = k;
        this.v = v;
        qg = rows(q).muli(1.0 / Math.sqrt(q.size(3)));                                   // [b, h, G, d]
        probs = Nd4j.matmul(qg, k, false, true, false);                                  // [b, h, G, L]
        long rows = Math.max(pos.length, keyMask == null ? 1 : batch);
        double[][] at = new double[pos.length][ng];
        for (int r = 0; r < pos.length; r++) {
            for (int i = 0; i < ng; i++) {
                at[r][i] = pos[r][i];
            }
        }
        INDArray p = Nd4j.createFromArray(at).castTo(t).reshape(pos.length, 1, ng, 1);   // [1|b, 1, G, 1]
        INDArray allowed = Nd4j.ones(t, rows, 1, ng, len).muli(p.gte(0).castTo(t));       // used slots
        if (causal) {
            INDArray j = Nd4j.arange(0, len).castTo(t).reshape(1, 1, 1, len);
            allowed.muli(Nd4j.zeros(t, pos.length, 1, ng, len).addi(j).subi(p).lte(0).castTo(t));   // j <= pos
        }
        if (keyMask != null) {
            allowed.muli(keyMask.castTo(t).reshape(batch, 1, 1, len));
        }
        if (segments != null) {
            INDArray seg = segments.castTo(t);
            INDArray own = Nd4j.create(t, batch, 1, ng, 1);                               // document of each global query
            for (int b = 0; b < batch; b++) {                                             // batch rows
                int[] row = pos[pos.length == 1 ? 0 : b];
                for (int i = 0; i < ng; i++) {                                            // few global tokens
                    own.putScalar(new long[] {b, 0, i, 0}, row[i] < 0 ? Segments.OUTSIDE : seg.getDouble(b, row[i]));
                }
            }
            allowed = Nd4j.zeros(t, batch, 1, ng, len).addi(allowed)
                    .muli(Segments.same(own, seg.reshape(batch, 1, 1, len), t, batch, 1, ng, len));
        }
        INDArray rowOk = allowed.max(3).reshape(allowed.size(0), 1, ng, 1);              // [b|1, 1, G, 1]
        probs.addi(allowed.sub(1.0).muli(1e9)).addi(rowOk.rsub(1.0).muli(1e9));        // masked; empty rows lifted
        Nd4j.exec(new SoftMax(probs, probs, 3));
        probs.muli(rowOk);
        og = Nd4j.matmul(probs, v, false, false, false);                                 // [b, h, G, d]
        forEachRow(batch, (b, i, at2) -> row(out, b, at2).assign(row(og, b, i)));
    }

    /** Sets the global rows of a {@code [batch, heads, L, d]} array to 0. */
    void zeroRows(INDArray a) {
        forEachRow(a.size(0), (b, i, at) -> row(a, b, at).assign(0));
    }

    /** Overwrites the global rows of dq and adds to dk, dv. */
    void backward(INDArray dOut, INDArray dq, INDArray dk, INDArray dv) {
        INDArray dog = rows(dOut);                                                       // [b, h, G, d]
        dv.addi(Nd4j.matmul(probs, dog, true, false, false));                            // P^T dO
        INDArray ds = Nd4j.matmul(dog, v, false, true, false);                           // dP  [b, h, G, L]
        Broadcast.sub(ds, dog.mul(og).sum(3), ds, 0, 1, 2);
        ds.muli(probs);                                                                  // dS
        INDArray dqg = Nd4j.matmul(ds, k, false, false, false).muli(1.0 / Math.sqrt(dOut.size(3)));
        forEachRow(dq.size(0), (b, i, at) -> row(dq, b, at).assign(row(dqg, b, i)));
        dk.addi(Nd4j.matmul(ds, qg, true, false, false));                                // dS^T Q / sqrt(d)
    }

    void clear() {
        qg = null;
        k = null;
        v = null;
        probs = null;
        og = null;
    }

    /** What to do with global slot {@code i} at position {@code at}, for batch row {@code b} (-1: all rows). */
    @FunctionalInterface
    private interface RowAction {
        void apply(long b, int i, int at);
    }

    /** Runs {@code action} for every used slot: once for all batch rows when shared, else per batch row (few). */
    private void forEachRow(long batch, RowAction action) {
        for (int r = 0; r < pos.length; r++) {
            for (int i = 0; i < pos[r].length; i++) {
                if (pos[r][i] >= 0) {
                    action.apply(pos.length == 1 ? -1 : r, i, pos[r][i]);
                }
            }
        }
    }

    /** Copy of the global rows, {@code [b, h, G, d]}, zero in unused slots. */
    private INDArray rows(INDArray a) {
        INDArray out = Nd4j.create(a.dataType(), a.size(0), a.size(1), pos[0].length, a.size(3));
        forEachRow(a.size(0), (b, i, at) -> row(out, b, i).assign(row(a, b, at)));
        return out;
    }

    /** Row {@code p} of batch row {@code b} (all batch rows if {@code b < 0}) of a {@code [b, h, L, d]} array. */
    private static INDArray row(INDArray a, long b, long p) {
        return b < 0 ? row(a, p) : row(Views.range0(a, b, 1), p);
    }

    /**
     * Row {@code p} of a {@code [b, h, L, d]} array as a {@code [b, h, d]} view, built from the strides: in 1.0.0-M2.1
     * {@code get(all, all, point(L - 1), all)} on a permuted view returns an empty array.
     */
    static INDArray row(INDArray a, long p) {
        return Nd4j.create(a.data(), new long[] {a.size(0), a.size(1), a.size(3)},
                new long[] {a.stride(0), a.stride(1), a.stride(3)}, a.offset() + p * a.stride(2), a.ordering());
    }
}
