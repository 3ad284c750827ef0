package dev.sparseattn.trainer.model.attention;

import dev.sparseattn.trainer.model.SingleThreadNd4j;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Key padding ({@link Attention#setKeyMask}) on every pattern, against dense attention under the same pattern with the
 * same key mask ({@link MaskedDenseAttention}), forward and backward: padded keys are never attended, a query whose
 * pattern has no real key outputs 0 (the first position when it is padding and the pattern causal). LSH: see
 * {@link LshAttentionTest#keyPaddingEqualsMaskedDense}.
 */
@ExtendWith(SingleThreadNd4j.class)
class KeyPaddingMaskTest {

    private static final int B = 2;
    private static final int H = 4;     // SparseTransformerAttentionTest.mask is written for 4 heads
    private static final int HD = 4;

    @BeforeEach
    void seed() {
        Nd4j.getRandom().setSeed(31);
    }

    /** Row 0: the last three tokens are padding; row 1: the first token and the middle one (and row 2.. real). */
    static double[][] keyMask(int batch, int len) {
        double[][] m = new double[batch][len];
        for (int j = 0; j < len; j++) {
            m[0][j] = j < len - 3 ? 1 : 0;
            m[1][j] = j == 0 || j == len / 2 ? 0 : 1;
            for (int b = 2; b < batch; b++) {
                m[b][j] = 1;
            }
        }
        return m;
    }

    private static void check(Attention sparse, INDArray pattern, int len, DataType type, double tol, String what) {
        INDArray keys = Nd4j.createFromArray(keyMask(B, len)).castTo(type);
        sparse.setKeyMask(keys);
        MaskedDenseAttention dense = new MaskedDenseAttention((b, h, l) -> pattern);
        dense.setKeyMask(keys);
        AttentionCheck.Errors e = AttentionCheck.assertMatches(sparse, dense, B, H, len, HD, type, tol, what + " L=" + len
                + " " + type + " key mask");
        System.out.println(what + " L=" + len + " " + type + " key mask: " + e);
    }

    private static INDArray causalOrAll(int len, boolean causal) {
        return causal ? DenseCausalAttention.causalPattern(1, 1, len) : Nd4j.ones(DataType.DOUBLE, 1, 1, len, len);
    }

    @Test
    void denseCausalAndBidirectional() {
        for (boolean causal : new boolean[] {true, false}) {
            for (int len : new int[] {9, 4}) {
                check(Attentions.create(AttentionSpec.dense(causal), H), causalOrAll(len, causal), len,
                        DataType.DOUBLE, 1e-9, "dense causal=" + causal);
            }
        }
    }

    @Test
    void bidirectionalDenseIsDenseWithoutMask() {
        int len = 7;
        AttentionCheck.assertMatches(Attentions.create(AttentionSpec.dense(false), H),
                new MaskedDenseAttention((b, h, l) -> Nd4j.ones(DataType.DOUBLE, 1, 1, len, len)), B, H, len, HD,
                DataType.DOUBLE, 1e-9, "bidirectional dense");
    }

    @Test
    void slidingWindowWithDilationAndGlobalTokens() {
        int[] dilations = {1, 2, 1, 3};
        int[] global = {0, -1};
        for (boolean causal : new boolean[] {true, false}) {
            for (int len : new int[] {13, 16}) {
                AttentionSpec spec = AttentionSpec.slidingWindow(3, causal).withDilations(1, 2, 1, 3)
                        .withGlobal(0, -1);
                check(Attentions.create(spec, H), AttentionCheck.slidingMask(len, 3, causal, dilations, H, null,
                        global), len, DataType.DOUBLE, 1e-9, "sliding causal=" + causal);
            }
            check(Attentions.create(AttentionSpec.slidingWindow(20, causal), H),
                    AttentionCheck.slidingMask(11, 20, causal, new int[] {1}, H, null), 11, DataType.FLOAT, 1e-5,
                    "sliding window > L causal=" + causal);
        }
    }

    @Test
    void stridedAndFixed() {
        for (boolean causal : new boolean[] {true, false}) {
            for (AttentionSpec spec : new AttentionSpec[] {AttentionSpec.strided(4, causal),
                AttentionSpec.fixed(4, 2, true, causal), AttentionSpec.fixed(6, 2, false, causal)}) {
                for (int len : new int[] {13, 16, 4}) {
                    check(Attentions.create(spec, H), SparseTransformerAttentionTest.mask(spec, len), len,
                            DataType.DOUBLE, 1e-9, spec.kind() + " causal=" + causal);
                }
                check(Attentions.create(spec, H), SparseTransformerAttentionTest.mask(spec, 21), 21, DataType.FLOAT,
                        1e-5, spec.kind() + " causal=" + causal);
            }
        }
    }

    @Test
    void bigBird() {
        int[] global = {0, -1};
        for (boolean causal : new boolean[] {true, false}) {
            for (int len : new int[] {27, 32}) {
                BigBirdAttention a = new BigBirdAttention(4, 1, 2, 77, causal).withGlobal(global);
                check(a, BigBirdAttentionTest.mask(a, len, 4, 1, causal, global, null), len, DataType.DOUBLE, 1e-9,
                        "bigbird causal=" + causal);
            }
        }
    }
}
