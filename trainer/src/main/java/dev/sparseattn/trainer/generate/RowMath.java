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

    /**
     * {@code affine} of {@code rows} consecutive rows at once: row {@code r}'s {@code y[r * out ..+out) =
     * x[r * in ..+in) W + b}. Each weight row is read once for all rows (it stays in the first-level cache while the
     * rows use it), instead of once per row; every output element sums in the same order as {@link #affine}, so the
     * results are bit for bit those of {@code rows} calls of it.
     *
     * @param x rows // [rows][in]
     * @param y rows // [rows][out], overwritten
     */
    static void affineRows(double[] x, int rows, int in, Weights w, double[] b, int out, double[] y) {
        if (w.f != null) {
            affineRows(x, rows, in, w.f, b, out, y);
        } else {
            affineRows(x, rows, in, w.d, b, out, y);
        }
    }

    /** {@link #affineRows(double[], int, int, Weights, double[], int, double[])} over double weights. */
    static void affineRows(double[] x, int rows, int in, double[] w, double[] b, int out, double[] y) {
        biasRows(rows, b, out, y);
        for (int i = 0; i < in; i++) {
            int row = i * out;
            for (int r = 0; r < rows; r++) {
                double xi = x[r * in + i];
                int yo = r * out;
                for (int j = 0; j < out; j++) {
                    y[yo + j] += xi * w[row + j];
                }
            }
        }
    }

    /** The same over float weights (each widened to double: the same products as over their double copies). */
    static void affineRows(double[] x, int rows, int in, float[] w, double[] b, int out, double[] y) {
        biasRows(rows, b, out, y);
        for (int i = 0; i < in; i++) {
            int row = i * out;
            for (int r = 0; r < rows; r++) {
                double xi = x[r * in + i];
                int yo = r * out;
                for (int j = 0; j < out; j++) {
                    y[yo + j] += xi * w[row + j];
                }
            }
        }
    }

    private static void biasRows(int rows, double[] b, int out, double[] y) {
        for (int r = 0; r < rows; r++) {
            if (b == null) {
                java.util.Arrays.fill(y, r * out, (r + 1) * out, 0);
            } else {
                System.arraycopy(b, 0, y, r * out, out);
            }
        }
    }

    /**
     * GELU, tanh approximation (Hendrycks &amp; Gimpel 2016), in place over {@code [off, off + n)}:
     * {@code 0.5 v (1 + tanh(u)) = v / (1 + exp(-2u))}, {@code u = sqrt(2 / pi) (v + 0.044715 v^3)}. The same function
     * written with {@code exp}, which the JIT compiles to an intrinsic, where {@code Math.tanh} is a native call
     * (tens of ns, for every hidden unit of every layer of every step); no cancellation where tanh nears -1.
     */
    static void gelu(double[] x, int off, int n) {
        for (int i = off; i < off + n; i++) {
            double v = x[i];
            x[i] = v / (1 + Math.exp(-2 * GELU_K * (v + GELU_C * v * v * v)));
        }
    }
}
