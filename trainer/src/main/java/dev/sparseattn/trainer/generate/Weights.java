package dev.sparseattn.trainer.generate;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A weight matrix for the decode steps, row-major {@code [in, out]}: a float32 model's values kept as floats, any
 * other model's as doubles. Steps compute in double either way (a float widens to double exactly), so the results
 * are those of a double copy; a float copy is half the bytes, and a one-token step reads every weight once, so at
 * one or a few rows it is bound by how fast the weights come from memory.
 */
final class Weights {

    final double[] d;   // null when f is set
    final float[] f;    // null when d is set

    private Weights(double[] d, float[] f) {
        this.d = d;
        this.f = f;
    }

    /** A c-order copy of {@code a}, as floats when {@code a} is float32. */
    static Weights of(INDArray a) {
        if (a.dataType() == DataType.FLOAT) {
            return new Weights(null, a.dup('c').data().asFloat());
        }
        return new Weights(BlockWeights.doubles(a), null);
    }

    /** Bytes held. */
    long bytes() {
        return d != null ? 8L * d.length : 4L * f.length;
    }
}
