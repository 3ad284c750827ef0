package dev.sparseattn.trainer.model.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.trainer.model.NumericGradient;
import dev.sparseattn.trainer.model.SingleThreadNd4j;
import dev.sparseattn.trainer.model.ops.Alloc;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Longformer's dilated windows (per head) and global tokens against dense attention under the same mask. */
@ExtendWith(SingleThreadNd4j.class)
class DilatedGlobalAttentionTest {

    private static final int B = 2;
    private static final int H = 2;
    private static final int HD = 4;

    @BeforeEach
    void seed() {
        Nd4j.getRandom().setSeed(99);
    }

    private static double check(int len, int window, boolean causal, int[] dilations, int[] global,
                                double[][] keyMask, DataType type, double tol) {
        SlidingWindowAttention sparse = new SlidingWindowAttention(window, causal, 0, dilations).withGlobal(global);
        if (keyMask != null) {
            sparse.setKeyMask(Nd4j.createFromArray(keyMask));
        }
        INDArray mask = AttentionCheck.slidingMask(len, window, causal, dilations, H, keyMask, global);
        String what = "L=" + len + " w=" + window + (causal ? " causal" : " bidirectional") + " dilations="
                + java.util.Arrays.toString(dilations) + " global=" + java.util.Arrays.toString(global)
                + (keyMask != null ? " key mask " : " ") + type;
        AttentionCheck.Errors e = AttentionCheck.assertMatches(sparse, new MaskedDenseAttention((b, h, l) -> mask), B, H,
                len, HD, type, tol, what);
        System.out.println(what + ": " + e);
        return e.max();
    }

    @Test
    void dilatedHeadsEqualMaskedDense() {
        for (boolean causal : new boolean[] {true, false}) {
            check(19, 3, causal, new int[] {1, 2}, new int[0], null, DataType.DOUBLE, 1e-9);
            check(16, 2, causal, new int[] {3, 1}, new int[0], null, DataType.DOUBLE, 1e-9);
            check(23, 2, causal, new int[] {2, 4}, new int[0], null, DataType.FLOAT, 1e-5);
        }
    }

    @Test
    void globalTokensEqualMaskedDense() {
        double[][] keyMask = new double[B][14];
        for (int j = 0; j < 14; j++) {
            keyMask[0][j] = j < 11 ? 1 : 0;
            keyMask[1][j] = 1;
        }
        for (boolean causal : new boolean[] {true, false}) {
            check(13, 2, causal, new int[] {1}, new int[] {0}, null, DataType.DOUBLE, 1e-9);        // first token
            check(13, 2, causal, new int[] {1}, new int[] {0, -1}, null, DataType.DOUBLE, 1e-9);    // both ends
            check(12, 3, causal, new int[] {1, 2}, new int[] {5, 0, -1}, null, DataType.DOUBLE, 1e-9);
            check(5, 8, causal, new int[] {1}, new int[] {2}, null, DataType.DOUBLE, 1e-9);        // window > L
            check(14, 2, causal, new int[] {1}, new int[] {0, -1}, keyMask, DataType.DOUBLE, 1e-9); // padding
            check(29, 4, causal, new int[] {1, 2}, new int[] {0, 7, -1}, null, DataType.FLOAT, 1e-5);
        }
    }

    @Test
    void globalBackwardMatchesFiniteDifferences() {
        int len = 8;
        int hd = 3;
        for (boolean causal : new boolean[] {true, false}) {
            INDArray qkv = Nd4j.randn(DataType.DOUBLE, B * len, 3 * H * hd);
            INDArray[] p = AttentionCheck.heads(qkv, 3, B, H, len, hd);
            INDArray r = Nd4j.randn(DataType.DOUBLE, B, H, len, hd);
            SlidingWindowAttention att = new SlidingWindowAttention(1, causal, 0, 1, 2).withGlobal(0, -1);
            att.forward(p[0], p[1], p[2], Nd4j.create(DataType.DOUBLE, B, H, len, hd), Alloc.current(DataType.DOUBLE));
            INDArray dQkv = Nd4j.create(DataType.DOUBLE, B * len, 3 * H * hd);
            INDArray[] g = AttentionCheck.heads(dQkv, 3, B, H, len, hd);
            att.backward(r, g[0], g[1], g[2]);
            SlidingWindowAttention probe = new SlidingWindowAttention(1, causal, 0, 1, 2).withGlobal(0, -1);
            DoubleSupplier loss = () -> {
                INDArray o = Nd4j.create(DataType.DOUBLE, B, H, len, hd);
                probe.forward(p[0], p[1], p[2], o, null);
                return o.mul(r).sumNumber().doubleValue();
            };
            NumericGradient.check("dQKV causal=" + causal, qkv, dQkv, loss);
        }
    }

    @Test
    void globalPositionsResolveFromBothEnds() {
        SlidingWindowAttention a = new SlidingWindowAttention(2, false, 0).withGlobal(-1, 0, 3, 0, 40, -40);
        assertArrayEquals(new int[] {0, 3, 9}, a.globalPositions(10));
        assertArrayEquals(new int[] {0}, a.globalPositions(1));
        assertTrue(new SlidingWindowAttention(2, false, 0).globalPositions(5).length == 0);
    }
}
