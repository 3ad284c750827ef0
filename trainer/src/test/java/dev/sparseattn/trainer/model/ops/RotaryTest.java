package dev.sparseattn.trainer.model.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sparseattn.trainer.model.NumericGradient;
import dev.sparseattn.trainer.model.SingleThreadNd4j;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Rotary positions (RoPE): the formula, relative-position scores, backward by central differences, decode form. */
@ExtendWith(SingleThreadNd4j.class)
class RotaryTest {

    private static final DataType D = DataType.DOUBLE;

    @BeforeEach
    void seed() {
        Nd4j.getRandom().setSeed(3);
    }

    @Test
    void halfSplitFormulaWithRowOffsets() {
        INDArray x = Nd4j.randn(D, 2, 3, 5, 6);
        int[] offsets = {0, 41};
        INDArray y = Rotary.forward(x, offsets, Rotary.BASE, Nd4j.create(D, 2, 3, 5, 6));
        for (int b = 0; b < 2; b++) {
            for (int h = 0; h < 3; h++) {
                for (int l = 0; l < 5; l++) {
                    for (int c = 0; c < 3; c++) {
                        double angle = (offsets[b] + l) * Math.pow(Rotary.BASE, -2.0 * c / 6);
                        double x1 = x.getDouble(b, h, l, c);
                        double x2 = x.getDouble(b, h, l, c + 3);
                        assertEquals(x1 * Math.cos(angle) - x2 * Math.sin(angle), y.getDouble(b, h, l, c), 1e-12);
                        assertEquals(x2 * Math.cos(angle) + x1 * Math.sin(angle), y.getDouble(b, h, l, c + 3), 1e-12);
                    }
                }
            }
        }
        // in place gives the same; a rotation keeps norms
        INDArray copy = x.dup();
        Rotary.forward(copy, offsets, Rotary.BASE, copy);
        assertEquals(0, copy.sub(y).amaxNumber().doubleValue(), 0);
        assertEquals(x.norm2Number().doubleValue(), y.norm2Number().doubleValue(), 1e-10);
    }

    /** RoFormer's property (section 3.4.2): q_m . k_n = q_{m+s} . k_{n+s}. */
    @Test
    void scoresDependOnlyOnRelativePosition() {
        INDArray q = Nd4j.randn(D, 1, 1, 1, 16);
        INDArray k = Nd4j.randn(D, 1, 1, 1, 16);
        int[][] cases = {{0, 0, 5}, {3, 0, 1}, {0, 7, 100}, {10, 3, 4096}, {100, 99, 65536}, {5, 2000, 1_000_000}};
        boolean changes = false;
        for (int[] c : cases) {
            double a = score(q, k, c[0], c[1]);
            double b = score(q, k, c[0] + c[2], c[1] + c[2]);
            assertEquals(a, b, 1e-9 * Math.max(1, Math.abs(a)), "m=" + c[0] + " n=" + c[1] + " shift " + c[2]);
            changes |= Math.abs(a - score(q, k, c[0] + 1, c[1])) > 1e-6;
        }
        assertEquals(true, changes, "scores must depend on the relative position");
    }

    private static double score(INDArray q, INDArray k, int m, int n) {
        INDArray qm = Rotary.forward(q, new int[] {m}, Rotary.BASE, Nd4j.create(D, 1, 1, 1, 16));
        INDArray kn = Rotary.forward(k, new int[] {n}, Rotary.BASE, Nd4j.create(D, 1, 1, 1, 16));
        return qm.mul(kn).sumNumber().doubleValue();
    }

    @Test
    void backwardMatchesNumericalGradient() {
        INDArray x = Nd4j.randn(D, 2, 2, 4, 6);
        INDArray r = Nd4j.randn(D, 2, 2, 4, 6);
        int[] offsets = {3, 250};
        INDArray dx = Rotary.backward(r, offsets, Rotary.BASE, Nd4j.create(D, 2, 2, 4, 6));
        NumericGradient.check("dx", x, dx,
                () -> Rotary.forward(x, offsets, Rotary.BASE, Nd4j.create(D, 2, 2, 4, 6)).mul(r).sumNumber().doubleValue());
        // and backward undoes forward (an orthogonal map's transpose is its inverse)
        INDArray back = Rotary.backward(Rotary.forward(x, offsets, 500.0, Nd4j.create(D, 2, 2, 4, 6)), offsets, 500.0,
                Nd4j.create(D, 2, 2, 4, 6));
        assertEquals(0, back.sub(x).amaxNumber().doubleValue(), 1e-12);
    }

    /** One token per row at its own position, on a plain array, equals the array form at that offset. */
    @Test
    void decodeStepFormEqualsTheArrayForm() {
        INDArray x = Nd4j.randn(D, 3, 2, 1, 8);
        int[] positions = {0, 17, 70_000};
        INDArray y = Rotary.forward(x, positions, Rotary.BASE, Nd4j.create(D, 3, 2, 1, 8));
        double[] raw = x.dup('c').data().asDouble();
        Rotary.forwardInPlace(raw, 3, 2, 8, positions, Rotary.BASE);
        assertEquals(0, Nd4j.createFromArray(raw).reshape(3, 2, 1, 8).sub(y).amaxNumber().doubleValue(), 1e-12);
        // a sequence rotated at offset o equals its positions rotated one by one at o + l
        INDArray seq = Nd4j.randn(D, 1, 2, 6, 8);
        INDArray whole = Rotary.forward(seq, new int[] {9}, Rotary.BASE, Nd4j.create(D, 1, 2, 6, 8));
        for (int l = 0; l < 6; l++) {
            INDArray one = seq.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(l, l + 1),
                    NDArrayIndex.all()).dup();
            INDArray rot = Rotary.forward(one, new int[] {9 + l}, Rotary.BASE, one.ulike());
            assertEquals(0, rot.sub(whole.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(l, l + 1),
                    NDArrayIndex.all())).amaxNumber().doubleValue(), 1e-12);
        }
        // float32 against double
        INDArray f = Rotary.forward(x.castTo(DataType.FLOAT), positions, Rotary.BASE,
                Nd4j.create(DataType.FLOAT, 3, 2, 1, 8));
        assertEquals(0, f.castTo(D).sub(y).amaxNumber().doubleValue(), 1e-5);
    }

    @Test
    void oddHeadDimensionIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Rotary.forward(Nd4j.randn(D, 1, 1, 2, 5), null, Rotary.BASE, Nd4j.create(D, 1, 1, 2, 5)));
        assertEquals("rotary positions need an even head dimension, got 5", e.getMessage());
    }
}
