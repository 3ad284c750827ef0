package dev.sparseattn.trainer.generate;

import dev.sparseattn.trainer.model.ops.LayerNorm;

/**
 * The per-row arithmetic of a decode step on plain double arrays (one token per row: tens to hundreds of values,
 * where an ND4J call costs more than the arithmetic). Same formulas as {@code model.ops} (LayerNorm, Linear, GELU).
 */
final class RowMath {

    private static final double GELU_K = Math.sqrt(2.0 / Math.PI);
    private static final double GELU_C = 0.044715;

    private RowMath() {
    }

    /** {@code y[yOff..+d) = LN(x[xOff..+d)) * gain + bias} (Ba et al. 2016; biased variance, eps 1e-5). */
    static void layerNorm(double[] x, int xOff, int d, double[] gain, double[] bias, double[] y, int yOff) {
        double mean = 0;
        for (int i = 0; i < d; i++) {
            mean += x[xOff + i];
        }
        mean /= d;
        double sq = 0;
        for (int i = 0; i < d; i++) {
            double c = x[xOff + i] - mean;
            sq += c * c;
        }
        double rstd = 1.0 / Math.sqrt(sq / d + LayerNorm.EPS);
        for (int i = 0; i < d; i++) {
            y[yOff + i] = (x[xOff + i] - mean) * rstd * gain[i] + bias[i];
        }
    }

    /** {@code y[yOff..+out) = x[xOff..+in) W + b}, {@code W} row-major {@code [in, out]}, {@code b} may be null. */
    static void affine(double[] x, int xOff, int in, double[] w, double[] b, int out, double[] y, int yOff) {
        if (b == null) {
            java.util.Arrays.fill(y, yOff, yOff + out, 0);
        } else {
            System.arraycopy(b, 0, y, yOff, out);
        }
        for (int i = 0; i < in; i++) {
            double xi = x[xOff + i];
            int row = i * out;
            for (int j = 0; j < out; j++) {
                y[yOff + j] += xi * w[row + j];
            }
        }
    }

    /** GELU, tanh approximation (Hendrycks &amp; Gimpel 2016), in place over {@code [off, off + n)}. */
    static void gelu(double[] x, int off, int n) {
        for (int i = off; i < off + n; i++) {
            double v = x[i];
            x[i] = 0.5 * v * (1 + Math.tanh(GELU_K * (v + GELU_C * v * v * v)));
        }
    }
}
