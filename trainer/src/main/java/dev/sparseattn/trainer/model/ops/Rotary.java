package dev.sparseattn.trainer.model.ops;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Rotary position embedding, RoPE (Su et al. 2021, "RoFormer: Enhanced Transformer with Rotary Position Embedding",
 * section 3.2, eq. 34): the query and key of position {@code p} are rotated pair by pair by angles
 * {@code p * theta_c}, {@code theta_c = base^(-2c / D)}, {@code c = 0 .. D/2 - 1}, so that
 * {@code q_m . k_n} depends on the positions only through {@code m - n}. Convention: half-split (GPT-NeoX), pair
 * {@code c} is the elements {@code (c, c + D/2)} of a head vector (not the interleaved {@code (2c, 2c + 1)} of the
 * paper's eq. 34; the two are the same rotation up to a fixed permutation of the head dimensions):
 * <pre>
 *   y[c]       = x[c] cos(p theta_c) - x[c + D/2] sin(p theta_c)
 *   y[c + D/2] = x[c + D/2] cos(p theta_c) + x[c] sin(p theta_c)
 * </pre>
 * Positions are absolute: row {@code b}'s position {@code l} is {@code offsets[b] + l}, so a decode step passes each
 * row's current length. Backward is the transposed rotation (angle {@code -p theta_c}); there are no parameters.
 */
public final class Rotary {

    /** RoFormer's base. */
    public static final double BASE = 10000.0;

    private Rotary() {
    }

    /**
     * Rotates {@code x} into {@code out} (which may be {@code x}).
     *
     * @param x       queries or keys // [batch, heads, L, headDim], headDim even
     * @param offsets position of each row's first element // [batch]; null: all 0
     * @param out     overwritten // [batch, heads, L, headDim]
     */
    public static INDArray forward(INDArray x, int[] offsets, double base, INDArray out) {
        return rotate(x, offsets, base, 1.0, out);
    }

    /**
     * Gradient with respect to the input: the transposed rotation of {@code dy}.
     *
     * @param dy gradient of the output // [batch, heads, L, headDim]
     * @param dx overwritten (may be {@code dy}) // [batch, heads, L, headDim]
     */
    public static INDArray backward(INDArray dy, int[] offsets, double base, INDArray dx) {
        return rotate(dy, offsets, base, -1.0, dx);
    }

    /**
     * {@link #forward} for one token per row on a plain array (a decode step: tens of elements, where an ND4J call
     * costs more than the arithmetic), in place.
     *
     * @param x         {@code [batch][heads][headDim]}
     * @param positions position of each row // [batch]
     */
    public static void forwardInPlace(double[] x, int batch, int heads, int dim, int[] positions, double base) {
        checkDim(dim);
        if (x.length != batch * heads * dim || positions.length != batch) {
            throw new IllegalArgumentException("rotary: " + x.length + " values and " + positions.length
                    + " positions for batch " + batch + ", heads " + heads + ", headDim " + dim);
        }
        int half = dim / 2;
        double[] inv = inverseFrequencies(dim, base);
        for (int b = 0; b < batch; b++) {
            for (int c = 0; c < half; c++) {
                double angle = positions[b] * inv[c];
                double cos = Math.cos(angle);
                double sin = Math.sin(angle);
                for (int h = 0; h < heads; h++) {
                    int o = (b * heads + h) * dim;
                    double x1 = x[o + c];
                    double x2 = x[o + c + half];
                    x[o + c] = x1 * cos - x2 * sin;
                    x[o + c + half] = x2 * cos + x1 * sin;
                }
            }
        }
    }

    /** {@code theta_c = base^(-2c / D)}, {@code c = 0 .. D/2 - 1}. */
    static double[] inverseFrequencies(int dim, double base) {
        double[] inv = new double[dim / 2];
        for (int c = 0; c < inv.length; c++) {
            inv[c] = Math.pow(base, -2.0 * c / dim);
        }
        return inv;
    }

    private static void checkDim(long dim) {
        if (dim % 2 != 0) {
            throw new IllegalArgumentException("rotary positions need an even head dimension, got " + dim);
        }
    }

    /** Rotation by {@code sign * p * theta_c}. */
    private static INDArray rotate(INDArray x, int[] offsets, double base, double sign, INDArray out) {
        if (x.rank() != 4 || !Arrays.equals(x.shape(), out.shape())) {
            throw new IllegalArgumentException("rotary: input " + Arrays.toString(x.shape()) + " and output "
                    + Arrays.toString(out.shape()) + " must be the same [batch, heads, L, headDim]");
        }
        long batch = x.size(0);
        long heads = x.size(1);
        long len = x.size(2);
        long dim = x.size(3);
        checkDim(dim);
        if (offsets != null && offsets.length != batch) {
            throw new IllegalArgumentException("rotary: " + offsets.length + " offsets for a batch of " + batch);
        }
        long half = dim / 2;
        DataType t = x.dataType();
        // angles in double: [batch * L, 1] positions times [1, D/2] frequencies
        INDArray pos = Nd4j.zeros(DataType.DOUBLE, batch, len).addiRowVector(Nd4j.arange(0, len).castTo(DataType.DOUBLE));
        if (offsets != null) {
            double[] o = Arrays.stream(offsets).asDoubleStream().toArray();
            pos.addiColumnVector(Nd4j.createFromArray(o).reshape(batch, 1));
        }
        INDArray angles = pos.reshape(batch * len, 1).mmul(Nd4j.createFromArray(inverseFrequencies((int) dim, base))
                .reshape(1, half));                                                      // [B*L, D/2]
        INDArray cos = Transforms.cos(angles, true).castTo(t).reshape(batch, 1, len, half)
                .broadcast(batch, heads, len, half);                                     // [B, H, L, D/2]
        INDArray sin = Transforms.sin(angles, true).muli(sign).castTo(t).reshape(batch, 1, len, half)
                .broadcast(batch, heads, len, half);
        INDArray x1 = x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, half));
        INDArray x2 = x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(),
                NDArrayIndex.interval(half, dim));
        INDArray y1 = x1.mul(cos).subi(x2.mul(sin));                                     // [B, H, L, D/2]
        INDArray y2 = x2.mul(cos).addi(x1.mul(sin));
        out.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, half)).assign(y1);
        out.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(half, dim))
                .assign(y2);
        return out;
    }
}
