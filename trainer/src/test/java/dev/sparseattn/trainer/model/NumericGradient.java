package dev.sparseattn.trainer.model;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.function.DoubleSupplier;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Central finite differences for tests (double precision). */
public final class NumericGradient {

    public static final double EPS = 1e-6;

    private NumericGradient() {
    }

    /**
     * Checks {@code analytic} (same shape as {@code param}) against central differences of {@code loss} with
     * respect to every element of {@code param} (perturbed in place, then restored): relative error at most 1e-5
     * unless the absolute error is below 1e-8.
     */
    public static void check(String name, INDArray param, INDArray analytic, DoubleSupplier loss) {
        for (long i = 0; i < param.length(); i++) {
            double orig = param.getDouble(i);
            param.putScalar(i, orig + EPS);
            double plus = loss.getAsDouble();
            param.putScalar(i, orig - EPS);
            double minus = loss.getAsDouble();
            param.putScalar(i, orig);
            double numeric = (plus - minus) / (2 * EPS);
            double a = analytic.getDouble(i);
            double abs = Math.abs(a - numeric);
            double rel = abs == 0 ? 0 : abs / (Math.abs(a) + Math.abs(numeric));
            if (rel > 1e-5 && abs > 1e-8) {
                fail(name + "[" + i + "]: analytic " + a + " vs numeric " + numeric + " (rel " + rel + ")");
            }
        }
    }
}
