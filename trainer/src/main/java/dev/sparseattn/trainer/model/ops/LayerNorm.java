package dev.sparseattn.trainer.model.ops;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
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
        // broadcasts written into their destination (x.sub(mean, xhat)), not a copy then an in-place broadcast:
        // one pass instead of two, and ND4J's broadcasting pairwise op is the faster of the two paths
        long d = x.size(1);
        INDArray mean = x.mean(true, 1);                         // [N, 1]
        x.sub(mean, xhat);                                       // x - mean
        INDArray norm = xhat.norm2(true, 1);                     // [N, 1]: sqrt(sum (x - mean)^2)
        rstd.assign(norm.muli(norm).divi(d).addi(EPS));          // var + eps
        Transforms.sqrt(rstd, false).rdivi(1.0);
        xhat.muliColumnVector(rstd);
        xhat.mul(gain.reshape(1, d), y).addiRowVector(bias);
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
        long d = dy.size(1);
        INDArray gainCol = gain.reshape(d, 1);
        INDArray tmp = dy.mul(xhat);                              // [N, d]: dy * xhat
        Rows.sum(tmp, dgain);
        Rows.sum(dy, dbias);
        INDArray meanGx = rowMeans(tmp, gainCol);                 // [N, 1]: mean(g * xhat), g = dy * gain
        INDArray meanG = rowMeans(dy, gainCol);                   // [N, 1]: mean(g)
        dy.mul(gain.reshape(1, d), dx);                           // g
        dx.subiColumnVector(meanG);
        dx.subi(xhat.mul(meanGx, tmp));                           // - xhat * mean(g * xhat)
        dx.muliColumnVector(rstd);
    }

    /**
     * {@code x w / d} for {@code x} {@code [N, d]} and {@code w} {@code [d, 1]}: the row means of {@code x} times
     * {@code w}, one BLAS product instead of an element-wise pass and a reduction.
     */
    private static INDArray rowMeans(INDArray x, INDArray w) {
        INDArray out = Nd4j.createUninitialized(x.dataType(), x.size(0), 1);
        Nd4j.gemm(x, w, out, false, false, 1.0 / x.size(1), 0.0);
        return out;
    }
}
