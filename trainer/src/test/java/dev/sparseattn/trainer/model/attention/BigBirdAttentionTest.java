package dev.sparseattn.trainer.model.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.trainer.model.NumericGradient;
import dev.sparseattn.trainer.model.SingleThreadNd4j;
import dev.sparseattn.trainer.model.ops.Alloc;
import java.util.Arrays;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** BigBird (window blocks + random blocks + global tokens) against masked dense, and its seeded random blocks. */
@ExtendWith(SingleThreadNd4j.class)
class BigBirdAttentionTest {

    private static final int B = 2;
    private static final int H = 2;
    private static final int HD = 4;

    @BeforeEach
    void seed() {
        Nd4j.getRandom().setSeed(17);
    }

    /** The pattern pair by pair, from the kernel's own random blocks: [B or 1, 1, L, L]. */
    static INDArray mask(BigBirdAttention a, int len, int block, int side, boolean causal, int[] global,
                         double[][] keyMask) {
        int size = Math.min(block, len);
        int[][] rand = a.randomBlocks(len);
        boolean[] isGlobal = new boolean[len];
        for (int p : global) {
            int q = p < 0 ? len + p : p;
            if (q >= 0 && q < len) {
                isGlobal[q] = true;
            }
        }
        int rows = keyMask == null ? 1 : keyMask.length;
        double[][][][] m = new double[rows][1][len][len];
        for (int b = 0; b < rows; b++) {
            for (int i = 0; i < len; i++) {
                for (int j = 0; j < len; j++) {
                    int bi = i / size;
                    int bj = j / size;
                    boolean ok = Math.abs(bi - bj) <= side || Arrays.stream(rand[bi]).anyMatch(x -> x == bj)
                            || isGlobal[i] || isGlobal[j];
                    ok &= !causal || j <= i;
                    ok &= keyMask == null || keyMask[b][j] != 0;
                    m[b][0][i][j] = ok ? 1 : 0;
                }
            }
        }
        return Nd4j.createFromArray(m);
    }

    private static void check(int len, int block, int side, int random, boolean causal, int[] global,
                              double[][] keyMask, DataType type, double tol) {
        BigBirdAttention sparse = new BigBirdAttention(block, side, random, 1234, causal).withGlobal(global);
        if (keyMask != null) {
            sparse.setKeyMask(Nd4j.createFromArray(keyMask));
        }
        INDArray mask = mask(sparse, len, block, side, causal, global, keyMask);
        String what = "BigBird L=" + len + " b=" + block + " s=" + side + " r=" + random + " causal=" + causal
                + " global=" + Arrays.toString(global) + (keyMask != null ? " key mask " : " ") + type;
        AttentionCheck.Errors e = AttentionCheck.assertMatches(sparse, new MaskedDenseAttention((b, h, l) -> mask), B, H,
                len, HD, type, tol, what);
        System.out.println(what + ": " + e);
    }

    @Test
    void equalsMaskedDense() {
        double[][] keyMask = new double[B][27];
        for (int j = 0; j < 27; j++) {
            keyMask[0][j] = j < 22 ? 1 : 0;
            keyMask[1][j] = 1;
        }
        for (boolean causal : new boolean[] {true, false}) {
            check(32, 4, 1, 2, causal, new int[0], null, DataType.DOUBLE, 1e-9);
            check(27, 4, 1, 2, causal, new int[] {0, -1}, null, DataType.DOUBLE, 1e-9);   // ragged, global both ends
            check(27, 3, 1, 3, causal, new int[] {0, 13}, keyMask, DataType.DOUBLE, 1e-9);
            check(30, 5, 0, 1, causal, new int[] {4}, null, DataType.DOUBLE, 1e-9);       // no window neighbours
            check(5, 8, 1, 2, causal, new int[] {0}, null, DataType.DOUBLE, 1e-9);        // block beyond the sequence
            check(41, 4, 1, 2, causal, new int[] {0, -1}, null, DataType.FLOAT, 1e-5);
        }
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        int len = 10;
        int hd = 2;
        for (boolean causal : new boolean[] {true, false}) {
            INDArray qkv = Nd4j.randn(DataType.DOUBLE, B * len, 3 * H * hd);
            INDArray[] p = AttentionCheck.heads(qkv, 3, B, H, len, hd);
            INDArray r = Nd4j.randn(DataType.DOUBLE, B, H, len, hd);
            BigBirdAttention att = new BigBirdAttention(2, 1, 1, 9, causal).withGlobal(0);
            att.forward(p[0], p[1], p[2], Nd4j.create(DataType.DOUBLE, B, H, len, hd), Alloc.current(DataType.DOUBLE));
            INDArray dQkv = Nd4j.create(DataType.DOUBLE, B * len, 3 * H * hd);
            INDArray[] g = AttentionCheck.heads(dQkv, 3, B, H, len, hd);
            att.backward(r, g[0], g[1], g[2]);
            BigBirdAttention probe = new BigBirdAttention(2, 1, 1, 9, causal).withGlobal(0);
            DoubleSupplier loss = () -> {
                INDArray o = Nd4j.create(DataType.DOUBLE, B, H, len, hd);
                probe.forward(p[0], p[1], p[2], o, null);
                return o.mul(r).sumNumber().doubleValue();
            };
            NumericGradient.check("dQKV BigBird causal=" + causal, qkv, dQkv, loss);
        }
    }

    @Test
    void randomBlocksAreSeededDistinctAndOutsideTheWindow() {
        int[][] a = new BigBirdAttention(4, 1, 3, 42, false).randomBlocks(64);
        assertArrayEquals(a, new BigBirdAttention(4, 1, 3, 42, false).randomBlocks(64));   // reproducible
        assertFalse(Arrays.deepEquals(a, new BigBirdAttention(4, 1, 3, 43, false).randomBlocks(64)));
        assertEquals(16, a.length);
        for (int n = 0; n < a.length; n++) {
            assertEquals(3, Arrays.stream(a[n]).distinct().count(), "distinct blocks for query block " + n);
            for (int m : a[n]) {
                assertTrue(m >= 0 && m < 16 && Math.abs(m - n) > 1, "block " + m + " for query block " + n);
            }
        }
        int[][] c = new BigBirdAttention(4, 1, 2, 42, true).randomBlocks(64);
        assertArrayEquals(new int[] {-1, -1}, c[0]);            // nothing earlier than the window yet
        assertArrayEquals(new int[] {-1, 0}, c[2]);             // only block 0 is strictly before the window
        for (int n = 3; n < c.length; n++) {
            for (int m : c[n]) {
                assertTrue(m >= 0 && m < n - 1, "causal block " + m + " for query block " + n);
            }
        }
    }
}
