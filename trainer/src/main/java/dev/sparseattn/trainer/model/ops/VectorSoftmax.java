package dev.sparseattn.trainer.model.ops;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.stream.IntStream;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The SIMD softmax behind {@link Softmax}: each row of the array's off-heap buffer is read in place, three passes
 * per row while it sits in cache (maximum; {@code exp(x - max)} written back and summed; scaled by the inverse sum),
 * with the JDK's vectorised {@code exp}. Rows are split into contiguous ranges, one per thread. Loaded only when
 * the {@code jdk.incubator.vector} module is present ({@link Softmax} checks first).
 */
final class VectorSoftmax {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private VectorSoftmax() {
    }

    static boolean fits(INDArray s) {
        return Softmax.eligible(s) && s.data().asNio() != null;
    }

    /** @param s // [..., n], c-ordered and contiguous; overwritten by its softmax over the last axis */
    static void rows(INDArray s, int threads) {
        int n = (int) s.size(-1);
        int rows = (int) (s.length() / n);
        int width = s.dataType().width();
        ByteBuffer buf = s.data().asNio().order(ORDER);
        int base = (int) (s.offset() * width);
        boolean single = s.dataType() == DataType.FLOAT;
        if (threads <= 1) {
            range(buf, base, n, 0, rows, single);
            return;
        }
        IntStream.range(0, threads).parallel().forEach(t -> range(buf, base, n,
                (int) ((long) rows * t / threads), (int) ((long) rows * (t + 1) / threads), single));
    }

    private static void range(ByteBuffer buf, int base, int n, int r0, int r1, boolean single) {
        for (int r = r0; r < r1; r++) {
            if (single) {
                floatRow(buf, base + r * n * 4, n);
            } else {
                doubleRow(buf, base + r * n * 8, n);
            }
        }
    }

    private static void floatRow(ByteBuffer b, int at, int n) {
        int vec = F.loopBound(n);
        FloatVector mv = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (int i = 0; i < vec; i += F.length()) {
            mv = mv.max(FloatVector.fromByteBuffer(F, b, at + i * 4, ORDER));
        }
        float max = mv.reduceLanes(VectorOperators.MAX);
        for (int i = vec; i < n; i++) {
            max = Math.max(max, b.getFloat(at + i * 4));
        }
        FloatVector sv = FloatVector.zero(F);
        for (int i = 0; i < vec; i += F.length()) {
            FloatVector e = FloatVector.fromByteBuffer(F, b, at + i * 4, ORDER).sub(max).lanewise(VectorOperators.EXP);
            e.intoByteBuffer(b, at + i * 4, ORDER);
            sv = sv.add(e);
        }
        float sum = sv.reduceLanes(VectorOperators.ADD);
        for (int i = vec; i < n; i++) {
            float e = (float) Math.exp(b.getFloat(at + i * 4) - max);
            b.putFloat(at + i * 4, e);
            sum += e;
        }
        float inv = 1f / sum;
        for (int i = 0; i < vec; i += F.length()) {
            FloatVector.fromByteBuffer(F, b, at + i * 4, ORDER).mul(inv).intoByteBuffer(b, at + i * 4, ORDER);
        }
        for (int i = vec; i < n; i++) {
            b.putFloat(at + i * 4, b.getFloat(at + i * 4) * inv);
        }
    }

    private static void doubleRow(ByteBuffer b, int at, int n) {
        int vec = D.loopBound(n);
        DoubleVector mv = DoubleVector.broadcast(D, Double.NEGATIVE_INFINITY);
        for (int i = 0; i < vec; i += D.length()) {
            mv = mv.max(DoubleVector.fromByteBuffer(D, b, at + i * 8, ORDER));
        }
        double max = mv.reduceLanes(VectorOperators.MAX);
        for (int i = vec; i < n; i++) {
            max = Math.max(max, b.getDouble(at + i * 8));
        }
        DoubleVector sv = DoubleVector.zero(D);
        for (int i = 0; i < vec; i += D.length()) {
            DoubleVector e = DoubleVector.fromByteBuffer(D, b, at + i * 8, ORDER).sub(max).lanewise(VectorOperators.EXP);
            e.intoByteBuffer(b, at + i * 8, ORDER);
            sv = sv.add(e);
        }
        double sum = sv.reduceLanes(VectorOperators.ADD);
        for (int i = vec; i < n; i++) {
            double e = Math.exp(b.getDouble(at + i * 8) - max);
            b.putDouble(at + i * 8, e);
            sum += e;
        }
        double inv = 1.0 / sum;
        for (int i = 0; i < vec; i += D.length()) {
            DoubleVector.fromByteBuffer(D, b, at + i * 8, ORDER).mul(inv).intoByteBuffer(b, at + i * 8, ORDER);
        }
        for (int i = vec; i < n; i++) {
            b.putDouble(at + i * 8, b.getDouble(at + i * 8) * inv);
        }
    }
}
