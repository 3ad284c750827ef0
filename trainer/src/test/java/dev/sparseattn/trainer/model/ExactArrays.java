package dev.sparseattn.trainer.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Bit-for-bit array comparison ({@code INDArray.equals} allows a difference of 1e-5). */
public final class ExactArrays {

    private ExactArrays() {
    }

    public static void assertExactlyEqual(INDArray expected, INDArray actual, String message) {
        assertArrayEquals(expected.shape(), actual.shape(), message + " (shape)");
        assertArrayEquals(expected.dup('c').reshape(expected.length()).toDoubleVector(),
                actual.dup('c').reshape(actual.length()).toDoubleVector(), 0.0, message);
    }
}
