package dev.sparseattn.trainer.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
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

    /**
     * A saved-and-loaded network is the same network: equal layer configurations, and bit-for-bit equal parameters,
     * updater state and outputs on {@code features}.
     */
    public static void assertSameNetwork(MultiLayerNetwork expected, MultiLayerNetwork actual, INDArray features) {
        assertEquals(expected.getLayerWiseConfigurations(), actual.getLayerWiseConfigurations());
        assertExactlyEqual(expected.params(), actual.params(), "parameters");
        assertExactlyEqual(expected.getUpdater().getStateViewArray(), actual.getUpdater().getStateViewArray(),
                "updater state");
        assertExactlyEqual(expected.output(features), actual.output(features), "outputs");
    }
}
