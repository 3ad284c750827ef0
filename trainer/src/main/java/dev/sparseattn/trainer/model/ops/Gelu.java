package dev.sparseattn.trainer.model.ops;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.Axpy;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.SubOp;
import org.nd4j.linalg.api.ops.impl.transforms.same.Cube;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Sigmoid;
import org.nd4j.linalg.factory.Nd4j;

/**
 * GELU, tanh approximation as in GPT-2 (Hendrycks &amp; Gimpel 2016):
 * {@code y = 0.5 x (1 + tanh(u))}, {@code u = sqrt(2/pi) (x + 0.044715 x^3)}, computed as the equal
 * {@code y = x s}, {@code s = sigmoid(2u) = (1 + tanh(u)) / 2} (no cancellation where tanh nears -1), in five
 * native passes forward and seven backward, without allocations besides two backward temporaries.
 *
 * <p>Not libnd4j's own {@code PreciseGELU} / {@code PreciseGELUDerivative} (1.0.0-M2.1): the first computes
 * {@code pow(0.044715 x, 3)} instead of {@code 0.044715 x^3}, the second uses constants rounded to 6 digits, so
 * neither is the tanh formula to rounding.
 */
public final class Gelu {

    static final double K = Math.sqrt(2.0 / Math.PI);
    static final double C = 0.044715;

    private Gelu() {
    }

    /**
     * @param x input                                          // [N, f]
     * @param y output                                         // [N, f], overwritten
     * @param s sigmoid(2u) = (1 + tanh(u)) / 2, for backward  // [N, f], overwritten
     */
    public static INDArray forward(INDArray x, INDArray y, INDArray s) {
        Nd4j.exec(new Cube(x, s));                                // x^3
        Nd4j.exec(new Axpy(x, s, s, 1 / C));                      // x / C + x^3
        s.muli(2 * K * C);                                        // 2u = 2K (x + C x^3)
        Nd4j.exec(new Sigmoid(s, s));                             // s
        Nd4j.exec(new MulOp(x, s, y));                            // y = x s
        return y;
    }

    /** {@link #backward(INDArray, INDArray, INDArray, INDArray, Alloc)} with temporaries in the current workspace. */
    public static void backward(INDArray x, INDArray s, INDArray dy, INDArray dx) {
        backward(x, s, dy, dx, Alloc.current(x.dataType()));
    }

    /**
     * {@code dx = dy * (s + 2 x s (1 - s) K (1 + 3 C x^2))} (the tanh form's {@code 0.5 (1 + t)} is s, its
     * {@code 1 - t^2} is {@code 4 s (1 - s)}), as {@code dy * (s + 6KC w s (1 - s))}, {@code w = x^3 + x / (3C)}.
     *
     * @param x    forward input        // [N, f]
     * @param s    from forward         // [N, f]
     * @param dy   gradient of output   // [N, f]
     * @param dx   gradient of input    // [N, f], overwritten (may be the same array as dy)
     * @param work allocation of two [N, f] temporaries
     */
    public static void backward(INDArray x, INDArray s, INDArray dy, INDArray dx, Alloc work) {
        INDArray w = work.create(x.shape());
        INDArray e = work.create(x.shape());
        Nd4j.exec(new Cube(x, w));                                // x^3
        Nd4j.exec(new Axpy(x, w, w, 1 / (3 * C)));                // w = x^3 + x / (3C)
        w.muli(s);                                                // w s
        Nd4j.exec(new MulOp(w, s, e));                            // w s^2
        Nd4j.exec(new SubOp(w, e, w));                            // w s (1 - s)
        Nd4j.exec(new Axpy(w, s, w, 6 * K * C));                  // s + 6KC w s (1 - s) = gelu'(x)
        Nd4j.exec(new MulOp(dy, w, dx));                          // dx = dy gelu'(x)
    }
}
