package dev.sparseattn.trainer.model.ops;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Softmax over the last axis, in place: the attention kernels' and the loss's.
 *
 * <p>libnd4j 1.0.0-M2.1 evaluates {@code exp} one element at a time (about 14 ns an element and thread here, where
 * the JDK's SIMD {@code exp} takes 2): its {@code SoftMax} over {@code [16, 4, 256, 256]} floats took 57 ms on two
 * threads, against 15 ms for {@link VectorSoftmax}, which reads the rows in place through the JDK's Vector API
 * ({@code jdk.incubator.vector}, SVML's {@code exp} on x86). That path is taken when the JVM was started with
 * {@code --add-modules=jdk.incubator.vector}, ND4J runs on the CPU, and the array is contiguous, c-ordered, float or
 * double and addressable by a {@link java.nio.ByteBuffer}; anything else (the CUDA backend, a view, a JVM without
 * the module, {@code -Dsparseattn.vector=false}) goes to libnd4j's {@code SoftMax}. Both compute
 * {@code exp(x - max) / sum}; they differ by rounding (about 1e-7 relative in float).
 */
public final class Softmax {

    private static final Logger LOG = LoggerFactory.getLogger(Softmax.class);
    private static final boolean VECTOR = vectorPath();

    private Softmax() {
    }

    /** @param s // [..., n], overwritten by its softmax over the last axis */
    public static INDArray lastAxisInPlace(INDArray s) {
        if (VECTOR && VectorSoftmax.fits(s)) {
            VectorSoftmax.rows(s, threads(s));
        } else {
            Nd4j.exec(new SoftMax(s, s, s.rank() - 1));
        }
        return s;
    }

    /** Whether {@link #lastAxisInPlace} can take the Vector API path for this array. */
    static boolean vectorised(INDArray s) {
        return VECTOR && VectorSoftmax.fits(s);
    }

    static boolean eligible(INDArray s) {
        DataType t = s.dataType();
        return (t == DataType.FLOAT || t == DataType.DOUBLE) && s.rank() >= 1 && s.length() > 0
                && s.ordering() == 'c' && Shape.hasDefaultStridesForShape(s)
                && (s.offset() + s.length()) * t.width() <= Integer.MAX_VALUE;
    }

    /** ND4J's thread count (OMP_NUM_THREADS), at most one thread per 64 rows. */
    private static int threads(INDArray s) {
        long rows = s.length() / s.size(-1);
        return (int) Math.max(1, Math.min(Nd4j.getEnvironment().maxMasterThreads(), rows / 64));
    }

    private static boolean vectorPath() {
        String why;
        if (!Boolean.parseBoolean(System.getProperty("sparseattn.vector", "true"))) {
            why = "-Dsparseattn.vector=false";
        } else if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            why = "the JVM was started without --add-modules=jdk.incubator.vector";
        } else if (!Nd4j.getEnvironment().isCPU()) {
            why = "ND4J's backend is not the CPU";
        } else {
            LOG.info("softmax: the JDK's Vector API (jdk.incubator.vector)");
            return true;
        }
        LOG.info("softmax: libnd4j's SoftMax ({}; the Vector API path is about 4x faster, README \"Native threads\")",
                why);
        return false;
    }
}
