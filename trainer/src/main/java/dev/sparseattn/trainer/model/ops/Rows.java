package dev.sparseattn.trainer.model.ops;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Reductions over the rows of a {@code [N, k]} matrix. */
public final class Rows {

    private Rows() {
    }

    /**
     * {@code out[j] = sum_n x[n, j]}, as the product {@code ones[1, N] x} (BLAS): in ND4J 1.0.0-M2.1 a
     * dimension-0 {@code sum} of a c-ordered matrix is several times slower than this gemm.
     *
     * @param x   // [N, k]
     * @param out // [k], contiguous, overwritten
     */
    public static INDArray sum(INDArray x, INDArray out) {
        INDArray ones = Nd4j.ones(x.dataType(), 1, x.size(0));
        Nd4j.gemm(ones, x, out.reshape(1, out.length()), false, false, 1.0, 0.0);
        return out;
    }
}
