package dev.sparseattn.trainer.model.ops;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Layer normalisation over the feature axis (Ba et al. 2016), as in GPT-2:
 * {@code y = (x - mean) / sqrt(var + eps) * gain + bias}, with the biased variance.
 */
public final class LayerNorm {

    /** Epsilon inside the square root (PyTorch's and GPT-2's default). */
    public static final double EPS = 1e-5;

    private LayerNorm() {
    }

    /**
     * @param x    input                      // [N, d]
     * @param gain scale                      // [d]
     * @param bias shift                      // [d]
     * @param y    output                     // [N, d], overwritten
     * @param xhat normalised input, for backward  // [N, d], overwritten
     * @param rstd 1/sqrt(var + eps), for backward // [N, 1], overwritten
     */
    @SuppressWarnings("try")
    public static INDArray forward(INDArray x, INDArray gain, INDArray bias, INDArray y, INDArray xhat,
                                   INDArray rstd) {
        try (StepTimer.Span ignored = StepTimer.open(StepTimer.Section.LAYER_NORM)) {
            return forwardUntimed(x, gain, bias, y, xhat, rstd);
        }
    }

    private static INDArray forwardUntimed(INDArray x, INDArray gain, INDArray bias, INDArray y, INDArray xhat,
                                           INDArray rstd) {
        double d = x.size(1);
        RowOps.dot(x, null, 1.0 / d, rstd);                      // [N, 1]: mean (rstd as scratch)
        RowOps.subtractColumn(xhat.assign(x), rstd);             // x - mean
        RowOps.dot(y.assign(xhat).muli(xhat), null, 1.0 / d, rstd);   // var = mean (x - mean)^2 (y as scratch)
        Transforms.sqrt(rstd.addi(EPS), false).rdivi(1.0);       // 1 / sqrt(var + eps)
        RowOps.scaleRows(xhat, rstd, xhat);
        RowOps.addColumns(RowOps.scaleColumns(xhat, gain, y), bias, y);
        return y;
    }

    /**
     * Gradients of {@link #forward}: {@code dgain = sum_rows dy*xhat}, {@code dbias = sum_rows dy},
     * {@code dx = rstd * (g - mean(g) - xhat * mean(g*xhat))} with {@code g = dy * gain}.
     *
     * @param dy    gradient of output       // [N, d]
     * @param xhat  from forward             // [N, d]
     * @param rstd  from forward             // [N, 1]
     * @param gain  scale                    // [d]
     * @param dx    gradient of input        // [N, d], c-order contiguous, overwritten
     * @param dgain gradient of gain         // [d], overwritten
     * @param dbias gradient of bias         // [d], overwritten
     */
    @SuppressWarnings("try")
    public static void backward(INDArray dy, INDArray xhat, INDArray rstd, INDArray gain, INDArray dx,
                                INDArray dgain, INDArray dbias) {
        try (StepTimer.Span ignored = StepTimer.open(StepTimer.Section.LAYER_NORM)) {
            backwardUntimed(dy, xhat, rstd, gain, dx, dgain, dbias);
        }
    }

    private static void backwardUntimed(INDArray dy, INDArray xhat, INDArray rstd, INDArray gain, INDArray dx,
                                        INDArray dgain, INDArray dbias) {
        double d = dy.size(1);
        INDArray tmp = dy.mul(xhat);                              // [N, d]
        Rows.sum(tmp, dgain);
        Rows.sum(dy, dbias);
        INDArray meanGx = RowOps.dot(tmp, gain, 1.0 / d, rstd.ulike());   // [N, 1]: mean(g * xhat), g = dy * gain
        INDArray meanG = RowOps.dot(dy, gain, 1.0 / d, rstd.ulike());     // [N, 1]: mean(g)
        RowOps.scaleColumns(dy, gain, dx);                        // g
        RowOps.subtractColumn(dx, meanG);
        dx.subi(RowOps.scaleRows(xhat, meanGx, tmp));
        RowOps.scaleRows(dx, rstd, dx);
    }
}
