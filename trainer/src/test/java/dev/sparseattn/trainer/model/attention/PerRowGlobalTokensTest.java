package dev.sparseattn.trainer.model.attention;

import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sparseattn.trainer.model.SingleThreadNd4j;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Global tokens given per batch row ({@link Attention#setGlobalTokens}, Longformer's per-example global attention) on
 * top of the shared ones, for the sliding window and BigBird, against dense attention under the per-row pattern.
 */
@ExtendWith(SingleThreadNd4j.class)
class PerRowGlobalTokensTest {

    private static final int B = 2;
    private static final int H = 2;
    private static final int HD = 4;
    /** Row 0: one more global token; row 1: three (one from the end, one repeating a shared one). */
    private static final int[][] PER_ROW = {{3}, {-1, 5, 0}};
    private static final int[] SHARED = {0};

    @BeforeEach
    void seed() {
        Nd4j.getRandom().setSeed(123);
    }

    /** Row b's global tokens: the shared ones and its own. */
    private static int[] union(int b) {
        return IntStream.concat(Arrays.stream(SHARED), Arrays.stream(PER_ROW[b])).toArray();
    }

    /** Per-row patterns {@code [1, h, L, L]} stacked into {@code [B, h, L, L]}. */
    private static INDArray stack(INDArray... rows) {
        return Nd4j.concat(0, rows);
    }

    private static void check(Attention sparse, INDArray pattern, int len, boolean keyMask, DataType type, double tol,
                              String what) {
        sparse.setGlobalTokens(PER_ROW);
        MaskedDenseAttention dense = new MaskedDenseAttention((b, h, l) -> pattern);
        if (keyMask) {
            INDArray keys = Nd4j.createFromArray(KeyPaddingMaskTest.keyMask(B, len)).castTo(type);
            sparse.setKeyMask(keys);
            dense.setKeyMask(keys);
        }
        String full = what + " L=" + len + (keyMask ? " key mask " : " ") + type;
        System.out.println(full + ": " + AttentionCheck.assertMatches(sparse, dense, B, H, len, HD, type, tol, full));
    }

    @Test
    void slidingWindowEqualsMaskedDense() {
        int[] dilations = {1, 2};
        for (boolean causal : new boolean[] {true, false}) {
            for (int len : new int[] {13, 16}) {
                for (boolean keyMask : new boolean[] {false, true}) {
                    INDArray pattern = stack(AttentionCheck.slidingMask(len, 2, causal, dilations, H, null, union(0)),
                            AttentionCheck.slidingMask(len, 2, causal, dilations, H, null, union(1)));
                    check(new SlidingWindowAttention(2, causal, 0, dilations).withGlobal(SHARED), pattern, len, keyMask,
                            DataType.DOUBLE, 1e-9, "sliding causal=" + causal);
                }
            }
            INDArray pattern = stack(AttentionCheck.slidingMask(21, 3, causal, dilations, H, null, union(0)),
                    AttentionCheck.slidingMask(21, 3, causal, dilations, H, null, union(1)));
            check(new SlidingWindowAttention(3, causal, 0, dilations).withGlobal(SHARED), pattern, 21, false,
                    DataType.FLOAT, 1e-5, "sliding causal=" + causal);
        }
    }

    @Test
    void onlyPerRowGlobalTokens() {
        int len = 11;
        int[][] perRow = {{2}, {-1, 4}};
        SlidingWindowAttention sparse = new SlidingWindowAttention(1, false, 0);
        sparse.setGlobalTokens(perRow);
        INDArray pattern = stack(AttentionCheck.slidingMask(len, 1, false, new int[] {1}, H, null, perRow[0]),
                AttentionCheck.slidingMask(len, 1, false, new int[] {1}, H, null, perRow[1]));
        AttentionCheck.assertMatches(sparse, new MaskedDenseAttention((b, h, l) -> pattern), B, H, len, HD, DataType.DOUBLE,
                1e-9, "per-row global tokens only");
    }

    @Test
    void bigBirdEqualsMaskedDense() {
        for (boolean causal : new boolean[] {true, false}) {
            for (int len : new int[] {27, 32}) {
                for (boolean keyMask : new boolean[] {false, true}) {
                    BigBirdAttention a = new BigBirdAttention(4, 1, 2, 55, causal).withGlobal(SHARED);
                    INDArray pattern = stack(BigBirdAttentionTest.mask(a, len, 4, 1, causal, union(0), null),
                            BigBirdAttentionTest.mask(a, len, 4, 1, causal, union(1), null));
                    check(a, pattern, len, keyMask, DataType.DOUBLE, 1e-9, "bigbird causal=" + causal);
                }
            }
        }
    }

    @Test
    void patternsWithoutGlobalTokensRefuseThem() {
        assertThrows(UnsupportedOperationException.class,
                () -> new LshAttention(1, 2, 4, true, 1).setGlobalTokens(PER_ROW));
        assertThrows(UnsupportedOperationException.class, () -> new BlockLocalAttention(4, true).setGlobalTokens(PER_ROW));
        new LshAttention(1, 2, 4, true, 1).setGlobalTokens(null);   // none is always fine
    }
}
