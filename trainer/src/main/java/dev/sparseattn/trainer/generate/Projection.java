package dev.sparseattn.trainer.generate;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An affine map {@code y = x W + b} ({@code W [in, out]}) of the packed rows of a decode step, in double: plain Java
 * loops for a few rows (one ND4J call costs more than a row's arithmetic at d 128), one BLAS product over the rows
 * from {@code gemmRows} rows on.
 */
final class Projection {

    private final double[] w;      // [in, out] row-major
    private final double[] b;      // [out]
    private final int in;
    private final int out;
    private final int gemmRows;
    private INDArray wArray;       // [in, out] double, made on first use

    Projection(double[] w, double[] b, int in, int out, int gemmRows) {
        this.w = w;
        this.b = b;
        this.in = in;
        this.out = out;
        this.gemmRows = gemmRows;
    }

    /** {@code y[r] = x[r] W + b} for rows {@code r < n} ({@code x [n][in]}, {@code y [n][out]}, packed). */
    void apply(double[] x, int n, double[] y) {
        if (n < gemmRows) {
            for (int r = 0; r < n; r++) {
                RowMath.affine(x, r * in, in, w, b, out, y, r * out);
            }
            return;
        }
        if (wArray == null) {
            wArray = Nd4j.create(w, new long[] {in, out}, DataType.DOUBLE);
        }
        INDArray xs = Nd4j.create(java.util.Arrays.copyOf(x, n * in), new long[] {n, in}, DataType.DOUBLE);
        double[] prod = xs.mmul(wArray).data().asDouble();                                  // [n, out]
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < out; j++) {
                y[r * out + j] = prod[r * out + j] + b[j];
            }
        }
    }
}
