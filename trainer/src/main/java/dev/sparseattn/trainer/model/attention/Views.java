package dev.sparseattn.trainer.model.attention;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Strided views built from an array's own strides (no copies), and early release of large temporaries: ND4J frees
 * an off-heap buffer only when the Java object is collected, so temporaries of hundreds of MB pile up between
 * collections unless closed.
 */
final class Views {

    /** Elements (not bytes) of a chunk of scores processed at once where the whole would double the peak. */
    static long chunkElements = Long.getLong("attention.chunkElements", 1L << 24);   // tests lower it

    private Views() {
    }

    /** Indices {@code from .. from+n} of dimension {@code dim} of {@code a}, a view. */
    static INDArray range(INDArray a, int dim, long from, long n) {
        long[] shape = a.shape().clone();
        shape[dim] = n;
        return Nd4j.create(a.data(), shape, a.stride(), a.offset() + from * a.stride(dim), a.ordering());
    }

    /** Indices {@code from .. from+n} of dimension 0 of {@code a}. */
    static INDArray range0(INDArray a, long from, long n) {
        return range(a, 0, from, n);
    }

    /** Indices {@code from0 .. from0+n0} of dimension 0 and {@code from1 .. from1+n1} of dimension 1 of {@code a}. */
    static INDArray range01(INDArray a, long from0, long n0, long from1, long n1) {
        long[] shape = a.shape().clone();
        shape[0] = n0;
        shape[1] = n1;
        return Nd4j.create(a.data(), shape, a.stride(), a.offset() + from0 * a.stride(0) + from1 * a.stride(1),
                a.ordering());
    }

    /** Indices {@code from .. from+n} of the last dimension of {@code a}. */
    static INDArray lastCols(INDArray a, long from, long n) {
        return range(a, a.rank() - 1, from, n);
    }

    /** Any view of {@code a}'s buffer. */
    static INDArray view(INDArray a, long offset, long[] shape, long[] strides) {
        return Nd4j.create(a.data(), shape, strides, a.offset() + offset, 'c');
    }

    /** The first {@code prod(shape)} elements of a c-contiguous buffer {@code flat} as a c-order array. */
    static INDArray prefix(INDArray flat, long... shape) {
        return Nd4j.create(flat.data(), shape, Nd4j.getStrides(shape, 'c'), flat.offset(), 'c');
    }

    /**
     * {@code to := from} for {@code [batch, heads, L, d]} arrays of any strides. When either keeps the heads of a
     * position together (heads of a fused QKV projection, {@code [batch, L, heads, d]} in memory) both are walked in
     * that order: ND4J's strided copy runs about twice as fast when it follows the memory order. Scalar operations on
     * such strided views are several times slower still: scale the contiguous side instead.
     */
    static void copyHeads(INDArray from, INDArray to) {
        if (from.stride(1) < from.stride(2) || to.stride(1) < to.stride(2)) {
            to.permute(0, 2, 1, 3).assign(from.permute(0, 2, 1, 3));                     // [batch, L, heads, d]
        } else {
            to.assign(from);
        }
    }

    /**
     * A c-contiguous array {@code [..., w]} as the rank-2 view {@code [rows, w]}, for per-row broadcasts with
     * {@code addiColumnVector}/{@code muliColumnVector} against {@link #column}: ND4J's rank-4 {@code Broadcast}
     * ops are up to 30 times slower, worst when a leading dimension is 1 (measured: 276 ms vs 8 ms for
     * [1 x 64 x 256 x 1024]).
     */
    static INDArray flatRows(INDArray a) {
        long w = a.size(a.rank() - 1);
        return Nd4j.create(a.data(), new long[] {a.length() / w, w}, new long[] {w, 1}, a.offset(), 'c');
    }

    /** A c-contiguous array of per-row values as the column {@code [length, 1]}. */
    static INDArray column(INDArray v) {
        return Nd4j.create(v.data(), new long[] {v.length(), 1}, new long[] {1, 1}, v.offset(), 'c');
    }

    /** Frees the buffers of arrays this code allocated and no longer needs (views and workspace arrays: no-op). */
    static void release(INDArray... arrays) {
        for (INDArray a : arrays) {
            if (a != null && !a.wasClosed()) {
                a.close();
            }
        }
    }
}
