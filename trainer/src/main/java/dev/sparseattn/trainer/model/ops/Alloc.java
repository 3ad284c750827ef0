package dev.sparseattn.trainer.model.ops;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Where a layer's arrays are allocated: e.g. DL4J's activations workspace for what backward needs, or the current
 * workspace for temporaries. Arrays are c-ordered and uninitialised.
 */
@FunctionalInterface
public interface Alloc {

    INDArray create(long... shape);

    /** Uninitialised c-order arrays of {@code type} in whatever workspace is current (or none). */
    static Alloc current(DataType type) {
        return shape -> Nd4j.createUninitialized(type, shape, 'c');
    }
}
