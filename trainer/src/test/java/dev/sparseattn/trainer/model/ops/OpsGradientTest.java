package dev.sparseattn.trainer.model.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sparseattn.trainer.model.NumericGradient;
import org.junit.jupiter.api.BeforeEach;
import dev.sparseattn.trainer.model.SingleThreadNd4j;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Each op's backward against central finite differences of {@code loss = sum(y * r)} in double. */
@ExtendWith(SingleThreadNd4j.class)
class OpsGradientTest {

    private static final DataType D = DataType.DOUBLE;

    @BeforeEach
    void seed() {
        Nd4j.getRandom().setSeed(7);
    }

    @Test
    void linear() {
        INDArray x = Nd4j.randn(D, 5, 4);
        INDArray w = Nd4j.randn(D, 4, 3);
        INDArray b = Nd4j.randn(D, 3);
        INDArray r = Nd4j.randn(D, 5, 3);
        INDArray dw = Nd4j.create(D, 4, 3);
        INDArray db = Nd4j.create(D, 3);
        INDArray dx = Nd4j.create(D, 5, 4);
        Linear.backward(x, w, r, dw, db, dx);
        java.util.function.DoubleSupplier loss =
                () -> Linear.forward(x, w, b, Nd4j.create(D, 5, 3)).mul(r).sumNumber().doubleValue();
        NumericGradient.check("dx", x, dx, loss);
        NumericGradient.check("dW", w, dw, loss);
        NumericGradient.check("db", b, db, loss);
    }

    @Test
    void layerNorm() {
        INDArray x = Nd4j.randn(D, 4, 6).muli(3).addi(1);
        INDArray g = Nd4j.randn(D, 6);
        INDArray b = Nd4j.randn(D, 6);
        INDArray r = Nd4j.randn(D, 4, 6);
        INDArray xhat = Nd4j.create(D, 4, 6);
        INDArray rstd = Nd4j.create(D, 4, 1);
        INDArray y = LayerNorm.forward(x, g, b, Nd4j.create(D, 4, 6), xhat, rstd);

        // forward against the textbook formula
        for (int i = 0; i < 4; i++) {
            INDArray row = x.getRow(i);
            double m = row.meanNumber().doubleValue();
            double v = row.sub(m).muli(row.sub(m)).meanNumber().doubleValue();
            for (int j = 0; j < 6; j++) {
                double expected = (row.getDouble(j) - m) / Math.sqrt(v + LayerNorm.EPS) * g.getDouble(j) + b.getDouble(j);
                assertEquals(expected, y.getDouble(i, j), 1e-12);
            }
        }

        INDArray dx = Nd4j.create(D, 4, 6);
        INDArray dg = Nd4j.create(D, 6);
        INDArray db = Nd4j.create(D, 6);
        LayerNorm.backward(r, xhat, rstd, g, dx, dg, db);
        java.util.function.DoubleSupplier loss = () -> LayerNorm.forward(x, g, b, Nd4j.create(D, 4, 6),
                Nd4j.create(D, 4, 6), Nd4j.create(D, 4, 1)).mul(r).sumNumber().doubleValue();
        NumericGradient.check("dx", x, dx, loss);
        NumericGradient.check("dgain", g, dg, loss);
        NumericGradient.check("dbias", b, db, loss);
    }

    @Test
    void gelu() {
        INDArray x = Nd4j.randn(D, 3, 7).muli(2);
        INDArray r = Nd4j.randn(D, 3, 7);
        INDArray t = Nd4j.create(D, 3, 7);
        INDArray y = Gelu.forward(x, Nd4j.create(D, 3, 7), t);
        for (long i = 0; i < x.length(); i++) {
            double v = x.getDouble(i);
            double expected = 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
            assertEquals(expected, y.getDouble(i), 1e-12);
        }
        INDArray dx = Nd4j.create(D, 3, 7);
        Gelu.backward(x, t, r, dx);
        NumericGradient.check("dx", x, dx,
                () -> Gelu.forward(x, Nd4j.create(D, 3, 7), Nd4j.create(D, 3, 7)).mul(r).sumNumber().doubleValue());

        // in place (dx aliases dy), as the transformer block uses it
        INDArray inPlace = r.dup();
        Gelu.backward(x, t, inPlace, inPlace);
        assertEquals(dx, inPlace);
    }
}
