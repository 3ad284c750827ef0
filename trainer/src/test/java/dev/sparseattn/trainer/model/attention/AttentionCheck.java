package dev.sparseattn.trainer.model.attention;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.trainer.model.ops.Alloc;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Compares a sparse kernel with {@link MaskedDenseAttention} under the same pattern, forward and backward, on strided
 * head views of fused {@code [B*L, 3*H*HD]} arrays (as the transformer block passes them).
 */
final class AttentionCheck {

    /** Largest absolute differences found. */
    record Errors(double out, double dq, double dk, double dv) {
        double max() {
            return Math.max(Math.max(out, dq), Math.max(dk, dv));
        }
    }

    private AttentionCheck() {
    }

    static INDArray[] heads(INDArray fused, int parts, int b, int h, int len, int hd) {
        INDArray[] out = new INDArray[parts];
        for (int part = 0; part < parts; part++) {
            out[part] = fused.reshape('c', b, len, parts, h, hd).permute(2, 0, 3, 1, 4)
                    .get(NDArrayIndex.point(part), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(),
                            NDArrayIndex.all());
        }
        return out;
    }

    /** Runs both kernels on the same random inputs and returns the largest differences; asserts them below tol. */
    static Errors assertMatches(Attention sparse, Attention dense, int b, int h, int len, int hd, DataType type, double tol,
                          String what) {
        INDArray qkv = Nd4j.randn(DataType.DOUBLE, b * len, 3 * h * hd).castTo(type);
        INDArray r = Nd4j.randn(DataType.DOUBLE, b * len, h * hd).castTo(type);
        INDArray[] p = heads(qkv, 3, b, h, len, hd);
        INDArray[] result = new INDArray[2];
        INDArray[] grads = new INDArray[2];
        Attention[] kernels = {sparse, dense};
        for (int i = 0; i < 2; i++) {
            INDArray ctx = Nd4j.create(type, b * len, h * hd);
            kernels[i].forward(p[0], p[1], p[2], heads(ctx, 1, b, h, len, hd)[0], Alloc.current(type));
            INDArray dQkv = Nd4j.create(type, b * len, 3 * h * hd);
            INDArray[] g = heads(dQkv, 3, b, h, len, hd);
            kernels[i].backward(heads(r, 1, b, h, len, hd)[0], g[0], g[1], g[2]);
            result[i] = ctx;
            grads[i] = dQkv;
        }
        INDArray[] gs = heads(grads[0], 3, b, h, len, hd);
        INDArray[] gd = heads(grads[1], 3, b, h, len, hd);
        Errors e = new Errors(diff(result[0], result[1]), diff(gs[0], gd[0]), diff(gs[1], gd[1]), diff(gs[2], gd[2]));
        assertTrue(!Double.isNaN(e.out() + e.dq() + e.dk() + e.dv()) && e.max() <= tol, what + ": " + e + " exceeds " + tol);
        // the comparison must not be vacuous
        assertTrue(result[1].amaxNumber().doubleValue() > 0.1 && grads[1].amaxNumber().doubleValue() > 0.1, what);
        return e;
    }

    static double diff(INDArray a, INDArray b) {
        if (a.isNaN().any() || b.isNaN().any() || a.isInfinite().any() || b.isInfinite().any()) {
            return Double.NaN;
        }
        return a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
    }

    /** The sliding-window pattern written out pair by pair: [1, heads, L, L] or, with a key mask, [B, heads, L, L]. */
    static INDArray slidingMask(int len, int window, boolean causal, int[] dilations, int heads, double[][] keyMask) {
        return slidingMask(len, window, causal, dilations, heads, keyMask, new int[0]);
    }

    /** As above plus global tokens (negative = from the end): they attend to all and are attended by all. */
    static INDArray slidingMask(int len, int window, boolean causal, int[] dilations, int heads, double[][] keyMask,
                                int[] global) {
        boolean[] isGlobal = new boolean[len];
        for (int p : global) {
            int q = p < 0 ? len + p : p;
            if (q >= 0 && q < len) {
                isGlobal[q] = true;
            }
        }
        int rows = keyMask == null ? 1 : keyMask.length;
        double[][][][] m = new double[rows][heads][len][len];
        for (int b = 0; b < rows; b++) {
            for (int h = 0; h < heads; h++) {
                int d = dilations.length == 1 ? dilations[0] : dilations[h];
                for (int i = 0; i < len; i++) {
                    for (int j = 0; j < len; j++) {
                        int back = i - j;
                        boolean ok = (Math.abs(back) <= window * d && back % d == 0 || isGlobal[i] || isGlobal[j])
                                && (!causal || back >= 0);
                        boolean real = keyMask == null || keyMask[b][j] != 0;
                        m[b][h][i][j] = ok && real ? 1 : 0;
                    }
                }
            }
        }
        return Nd4j.createFromArray(m);
    }
}
