package dev.sparseattn.trainer.model.ops;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * GELU, tanh approximation as in GPT-2 (Hendrycks &amp; Gimpel 2016):
 * {@code y = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}.
 */
public final class Gelu {

    static final double K = Math.sqrt(2.0 / Math.PI);
    static final double C = 0.044715;

    private Gelu() {
    }

    /**
     * @param x input                                   // [N, f]
     * @param y output                                  // [N, f], overwritten
     * @param t tanh(K (x + C x^3)), kept for backward  // [N, f], overwritten
     */
    public static INDArray forward(INDArray x, INDArray y, INDArray t) {
        t.assign(x).muli(x).muli(x).muli(C).addi(x).muli(K);
        Transforms.tanh(t, false);
        y.assign(t).addi(1.0).muli(x).muli(0.5);
        return y;
    }

    /**
     * {@code dx = dy * (0.5 (1 + t) + 0.5 x (1 - t^2) K (1 + 3 C x^2))}.
     *
     * @param x  forward input        // [N, f]
     * @param t  from forward         // [N, f]
     * @param dy gradient of output   // [N, f]
     * @param dx gradient of input    // [N, f], overwritten (may be the same array as dy)
     */
    public static void backward(INDArray x, INDArray t, INDArray dy, INDArray dx) {
        INDArray sech2 = t.mul(t).rsubi(1.0);                     // 1 - t^2
        INDArray deriv = x.mul(x).muli(3 * C).addi(1.0).muli(x).muli(0.5 * K).muli(sech2);
        deriv.addi(sech2.assign(t).addi(1.0).muli(0.5));          // + 0.5 (1 + t)
        dx.assign(deriv.muli(dy));
    }
}
