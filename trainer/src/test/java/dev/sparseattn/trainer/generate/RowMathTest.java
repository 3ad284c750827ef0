package dev.sparseattn.trainer.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link RowMath#affineRows} against {@link RowMath#affine} row by row: the same sums in the same order; over float
 * weights the same as over their double copies. {@link RowMath#gelu} against the tanh formula and the training
 * code's {@link dev.sparseattn.trainer.model.ops.Gelu}.
 */
class RowMathTest {

    @Test
    void affineRowsEqualsAffinePerRowBitForBit() {
        Random random = new Random(3);
        int in = 37;
        int out = 53;
        for (int rows : new int[] {1, 2, 7}) {
            for (boolean bias : new boolean[] {true, false}) {
                double[] x = random.doubles(rows * in, -2, 2).toArray();
                double[] w = random.doubles(in * out, -1, 1).toArray();
                double[] b = bias ? random.doubles(out, -1, 1).toArray() : null;
                double[] y = random.doubles(rows * out).toArray();                 // overwritten
                RowMath.affineRows(x, rows, in, w, b, out, y);
                double[] want = new double[rows * out];
                for (int r = 0; r < rows; r++) {
                    RowMath.affine(x, r * in, in, w, b, out, want, r * out);
                }
                assertArrayEquals(want, y, 0.0, rows + " rows, bias " + bias);
                // float weights: the same as their double copies, bit for bit
                float[] wf = new float[w.length];
                double[] wd = new double[w.length];
                for (int i = 0; i < w.length; i++) {
                    wf[i] = (float) w[i];
                    wd[i] = wf[i];
                }
                double[] yf = new double[rows * out];
                double[] yd = new double[rows * out];
                RowMath.affineRows(x, rows, in, wf, b, out, yf);
                RowMath.affineRows(x, rows, in, wd, b, out, yd);
                assertArrayEquals(yd, yf, 0.0, rows + " rows, bias " + bias + ", float weights");
            }
        }
    }

    @Test
    void geluEqualsTheTanhFormulaAndTheTrainingOp() {
        double[] x = new double[2001];
        for (int i = 0; i < x.length; i++) {
            x[i] = -40 + 0.04 * i;                        // -40 .. 40: both tails, and 0
        }
        double[] y = x.clone();
        RowMath.gelu(y, 0, y.length);
        double k = Math.sqrt(2.0 / Math.PI);
        for (int i = 0; i < x.length; i++) {
            double v = x[i];
            double want = 0.5 * v * (1 + Math.tanh(k * (v + 0.044715 * v * v * v)));
            assertEquals(want, y[i], 1e-14 * Math.max(1, Math.abs(want)), "gelu(" + v + ")");
        }
        org.nd4j.linalg.api.ndarray.INDArray in = org.nd4j.linalg.factory.Nd4j.createFromArray(x);
        org.nd4j.linalg.api.ndarray.INDArray op = dev.sparseattn.trainer.model.ops.Gelu.forward(in, in.like(), in.like());
        assertArrayEquals(op.toDoubleVector(), y, 1e-12);
    }
}
