package dev.sparseattn.trainer.model.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sparseattn.trainer.model.SingleThreadNd4j;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Longformer sliding window (blocked kernel) against dense attention under the same mask, forward and backward. */
@ExtendWith(SingleThreadNd4j.class)
class SlidingWindowAttentionTest {

    private static final int B = 2;
    private static final int H = 2;
    private static final int HD = 4;

    @BeforeEach
    void seed() {
        Nd4j.getRandom().setSeed(42);
    }

    private static double check(int len, int window, boolean causal, int block, int[] dilations, DataType type,
                                double tol) {
        SlidingWindowAttention sparse = new SlidingWindowAttention(window, causal, block, dilations);
        INDArray mask = AttentionCheck.slidingMask(len, window, causal, dilations, H, null);
        MaskedDenseAttention dense = new MaskedDenseAttention((b, h, l) -> mask);
        String what = "L=" + len + " w=" + window + (causal ? " causal" : " bidirectional") + " block=" + block + " "
                + type;
        AttentionCheck.Errors e = AttentionCheck.assertMatches(sparse, dense, B, H, len, HD, type, tol, what);
        System.out.println("sliding window " + what + ": " + e);
        return e.max();
    }

    /** Lengths that are and are not multiples of the block, windows larger than the sequence, length 1. */
    @Test
    void equalsMaskedDenseInDouble() {
        int[] one = {1};
        double worst = 0;
        for (boolean causal : new boolean[] {true, false}) {
            worst = Math.max(worst, check(16, 4, causal, 0, one, DataType.DOUBLE, 1e-9));   // 4 full blocks
            worst = Math.max(worst, check(13, 4, causal, 0, one, DataType.DOUBLE, 1e-9));   // ragged last block
            worst = Math.max(worst, check(11, 5, causal, 2, one, DataType.DOUBLE, 1e-9));   // block < window
            worst = Math.max(worst, check(6, 9, causal, 0, one, DataType.DOUBLE, 1e-9));    // window > L
            worst = Math.max(worst, check(1, 3, causal, 0, one, DataType.DOUBLE, 1e-9));    // one token
            worst = Math.max(worst, check(7, 0, causal, 0, one, DataType.DOUBLE, 1e-9));    // self only
        }
        System.out.println("sliding window double worst " + worst);
    }

    @Test
    void equalsMaskedDenseInFloat() {
        int[] one = {1};
        for (boolean causal : new boolean[] {true, false}) {
            check(37, 8, causal, 0, one, DataType.FLOAT, 1e-5);
            check(24, 6, causal, 4, one, DataType.FLOAT, 1e-5);
        }
    }

    @Test
    void keyPaddingMaskEqualsMaskedDense() {
        int len = 10;
        double[][] keyMask = new double[B][len];
        for (int j = 0; j < len; j++) {
            keyMask[0][j] = j < 7 ? 1 : 0;        // trailing padding
            keyMask[1][j] = j >= 6 ? 1 : 0;       // leading padding: early causal queries see no real key
        }
        for (boolean causal : new boolean[] {true, false}) {
            SlidingWindowAttention sparse = new SlidingWindowAttention(2, causal, 0);
            sparse.setKeyMask(Nd4j.createFromArray(keyMask));
            INDArray mask = AttentionCheck.slidingMask(len, 2, causal, new int[] {1}, H, keyMask);
            AttentionCheck.Errors e = AttentionCheck.assertMatches(sparse, new MaskedDenseAttention((b, h, l) -> mask), B, H,
                    len, HD, DataType.DOUBLE, 1e-9, "key mask causal=" + causal);
            System.out.println("sliding window key mask causal=" + causal + ": " + e);
        }
    }

    @Test
    void queriesWithoutAllowedKeysOutputZero() {
        int len = 6;
        double[][] keyMask = {{0, 0, 0, 1, 1, 1}, {1, 1, 1, 1, 1, 1}};
        SlidingWindowAttention sparse = new SlidingWindowAttention(1, true, 0);
        sparse.setKeyMask(Nd4j.createFromArray(keyMask));
        INDArray q = Nd4j.randn(DataType.DOUBLE, B, H, len, HD);
        INDArray out = Nd4j.create(DataType.DOUBLE, B, H, len, HD);
        sparse.forward(q, q.dup(), q.add(1), out, null);
        for (int i = 0; i < 3; i++) {    // causal, window 1: queries 0..2 see only padding
            assertEquals(0.0, out.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0),
                    org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(i),
                    org.nd4j.linalg.indexing.NDArrayIndex.all()).amaxNumber().doubleValue(), 0.0);
        }
        // query 3 sees only key 3 (key 2 is padding): output = v[3] exactly
        assertEquals(q.getDouble(0, 1, 3, 2) + 1, out.getDouble(0, 1, 3, 2), 1e-12);
    }

    @Test
    void blockGeometryIsLinearInLength() {
        BlockGeometry g = BlockGeometry.band(16384, 256, 0, false);
        assertEquals(256, g.size());
        assertEquals(64, g.blocks());
        assertEquals(768, g.keys());              // scores are [.., 16384, 768], never 16384 x 16384
        BlockGeometry c = BlockGeometry.band(16384, 256, 0, true);
        assertEquals(512, c.keys());
        BlockGeometry ragged = BlockGeometry.band(13, 4, 0, false);
        assertEquals(4, ragged.blocks());
        assertEquals(16, ragged.paddedQueries());
        assertEquals(24, ragged.paddedKeys());
        BlockGeometry wide = BlockGeometry.band(6, 9, 0, false);   // window beyond the sequence: one block
        assertEquals(1, wide.blocks());
        assertEquals(6, wide.keys());
    }
}
