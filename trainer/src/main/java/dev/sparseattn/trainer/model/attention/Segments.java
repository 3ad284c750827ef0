package dev.sparseattn.trainer.model.attention;

import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Document (segment) masks of packed rows ({@link Attention#setSegments}): query {@code i} may attend key {@code j}
 * only if both belong to the same document. Document ids are integers (exact in float up to 2^24). The helpers
 * build the mask at the shape of a kernel's scores (per block, per residue class, per chunk), never {@code [L, L]} in
 * a sparse path.
 */
final class Segments {

    /** Segment of positions outside the sequence (block and residue padding): equal to no real document. */
    static final double OUTSIDE = -1e6;

    private Segments() {
    }

    /**
     * 0/1 "same document" of queries and keys, {@code segQ} and {@code segK} of broadcastable shapes (e.g.
     * {@code [.., n, 1]} and {@code [.., 1, m]}) whose broadcast is {@code shape}.
     */
    static INDArray same(INDArray segQ, INDArray segK, DataType t, long... shape) {
        INDArray diff = Nd4j.zeros(t, shape).addi(segK.castTo(t)).subi(segQ.castTo(t));
        return diff.eq(0.0).castTo(t);
    }

    /** Additive mask (0 same document, {@link BlockBandAttention#MASKED} otherwise) of {@link #same}. */
    static INDArray additive(INDArray segQ, INDArray segK, DataType t, long... shape) {
        INDArray d = Nd4j.zeros(t, shape).addi(segK.castTo(t)).subi(segQ.castTo(t));   // (assign does not broadcast)
        // ids are integers: min(|segK - segQ|, 1) is 0 for the same document, else 1
        return Transforms.min(Transforms.abs(d, false), 1.0, false).muli(BlockBandAttention.MASKED);
    }

    /** {@code segments} {@code [batch, L]} as type {@code t}, padded with {@link #OUTSIDE}: {@code [batch, total]}. */
    static INDArray padded(INDArray segments, DataType t, int front, long total) {
        long batch = segments.size(0);
        long len = segments.size(1);
        INDArray out = Nd4j.valueArrayOf(new long[] {batch, total}, OUTSIDE, t);
        out.get(NDArrayIndex.all(), NDArrayIndex.interval(front, front + len)).assign(segments.castTo(t));
        return out;
    }

    /** Checks {@code segments} against a batch and length. */
    static void check(INDArray segments, long batch, long len) {
        if (segments != null && (segments.rank() != 2 || segments.size(0) != batch || segments.size(1) != len)) {
            throw new IllegalArgumentException("segment ids " + java.util.Arrays.toString(segments.shape())
                    + " for a batch of " + batch + " rows of " + len + " tokens");
        }
    }

    /**
     * Dense ranks of the documents of each row, {@code [batch][L]}: the distinct ids of a row numbered 0, 1, .. in
     * order of first appearance. O(batch * L) once per forward (LSH folds them into its buckets).
     */
    static int[][] ranks(INDArray segments) {
        double[][] s = segments.castTo(DataType.DOUBLE).toDoubleMatrix();
        int[][] out = new int[s.length][];
        for (int b = 0; b < s.length; b++) {
            Map<Double, Integer> seen = new HashMap<>();
            out[b] = new int[s[b].length];
            for (int j = 0; j < s[b].length; j++) {
                out[b][j] = seen.computeIfAbsent(s[b][j], x -> seen.size());
            }
        }
        return out;
    }
}
