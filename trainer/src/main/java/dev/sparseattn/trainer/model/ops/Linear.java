package dev.sparseattn.trainer.model.ops;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Affine map {@code y = x W + b} over rows. */
public final class Linear {

    private Linear() {
    }

    /**
     * @param x input   // [N, in]
     * @param w weight  // [in, out]
     * @param b bias    // [out], or null for none
     * @param y output  // [N, out], c-order contiguous, overwritten
     */
    public static INDArray forward(INDArray x, INDArray w, INDArray b, INDArray y) {
        Nd4j.gemm(x, w, y, false, false, 1.0, 0.0);
        if (b != null) {
            y.addiRowVector(b);
        }
        return y;
    }

    /**
     * Gradients of {@link #forward}: {@code dW = x^T dy}, {@code db = sum_rows dy}, {@code dx = dy W^T}.
     *
     * @param x  forward input         // [N, in]
     * @param w  weight                // [in, out]
     * @param dy gradient of output    // [N, out]
     * @param dw gradient of weight    // [in, out], c-order contiguous, overwritten
     * @param db gradient of bias      // [out], overwritten; null if no bias
     * @param dx gradient of input     // [N, in], c-order contiguous, overwritten; null if not needed
     */
    public static void backward(INDArray x, INDArray w, INDArray dy, INDArray dw, INDArray db, INDArray dx) {
        Nd4j.gemm(x, dy, dw, true, false, 1.0, 0.0);
        if (db != null) {
            Rows.sum(dy, db);
        }
        if (dx != null) {
            Nd4j.gemm(dy, w, dx, false, true, 1.0, 0.0);
        }
    }
}
