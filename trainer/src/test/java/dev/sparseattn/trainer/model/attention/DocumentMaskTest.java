package dev.sparseattn.trainer.model.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.trainer.model.NumericGradient;
import dev.sparseattn.trainer.model.SingleThreadNd4j;
import dev.sparseattn.trainer.model.ops.Alloc;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Document masks of packed rows ({@link Attention#setSegments}) on every pattern, forward and backward, against
 * {@link MaskedDenseAttention} under the pattern times a same-document mask written out pair by pair here (random
 * document layouts, including boundaries exactly at block, window, residue and chunk edges, documents of one token
 * and ids that are not 0-based), in double with tight tolerances; and by central differences on the kernels.
 */
@ExtendWith(SingleThreadNd4j.class)
class DocumentMaskTest {

    private static final int B = 2;
    private static final int H = 4;     // SparseTransformerAttentionTest.mask is written for 4 heads
    private static final int HD = 4;

    @BeforeEach
    void seed() {
        Nd4j.getRandom().setSeed(41);
    }

    /**
     * Row 0: documents of {@code edge} tokens (boundaries exactly at block edges), the last one shorter; row 1:
     * random lengths 1..5 from {@code seed}, ids counted from 7.
     */
    static double[][] segments(int len, int edge, long seed) {
        double[][] s = new double[B][len];
        Random r = new Random(seed);
        int doc = 7;
        int left = 1 + r.nextInt(5);
        for (int j = 0; j < len; j++) {
            s[0][j] = j / edge;
            if (left == 0) {
                doc++;
                left = 1 + r.nextInt(5);
            }
            s[1][j] = doc;
            left--;
        }
        return s;
    }

    /** {@code pattern} ({@code [1|B, 1|H, L, L]}) times "same document", pair by pair: {@code [B, heads, L, L]}. */
    static INDArray combined(INDArray pattern, double[][] seg, int heads) {
        int len = seg[0].length;
        double[][][][] m = new double[B][heads][len][len];
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < len; i++) {
                    for (int j = 0; j < len; j++) {
                        double p = pattern.getDouble(pattern.size(0) == 1 ? 0 : b, pattern.size(1) == 1 ? 0 : h, i, j);
                        m[b][h][i][j] = seg[b][i] == seg[b][j] ? p : 0;
                    }
                }
            }
        }
        return Nd4j.createFromArray(m);
    }

    private static void check(Attention sparse, INDArray pattern, int len, int edge, DataType type, double tol,
                              String what) {
        double[][] seg = segments(len, edge, len * 31L + edge);
        sparse.setSegments(Nd4j.createFromArray(seg).castTo(type));
        INDArray mask = combined(pattern, seg, H);
        AttentionCheck.Errors e = AttentionCheck.assertMatches(sparse, new MaskedDenseAttention((b, h, l) -> mask), B,
                H, len, HD, type, tol, what + " L=" + len + " documents of " + edge);
        System.out.println(what + " L=" + len + " " + type + " documents: " + e);
    }

    private static INDArray causalOrAll(int len, boolean causal) {
        return causal ? DenseCausalAttention.causalPattern(1, 1, len) : Nd4j.ones(DataType.DOUBLE, 1, 1, len, len);
    }

    @Test
    void dense() {
        for (boolean causal : new boolean[] {true, false}) {
            for (int len : new int[] {9, 4}) {
                check(Attentions.create(AttentionSpec.dense(causal), H), causalOrAll(len, causal), len, 3,
                        DataType.DOUBLE, 1e-9, "dense causal=" + causal);
            }
        }
    }

    @Test
    void slidingWindowWithDilationsAndGlobalTokens() {
        int[] dilations = {1, 2, 1, 3};
        int[] global = {0, -1};
        for (boolean causal : new boolean[] {true, false}) {
            for (int len : new int[] {13, 18}) {
                AttentionSpec spec = AttentionSpec.slidingWindow(3, causal).withDilations(1, 2, 1, 3)
                        .withGlobal(0, -1);
                // blocks of 9 (w * max dilation): documents of 9 end exactly at block edges, of 3 at window edges
                for (int edge : new int[] {9, 3}) {
                    check(Attentions.create(spec, H), AttentionCheck.slidingMask(len, 3, causal, dilations, H, null,
                            global), len, edge, DataType.DOUBLE, 1e-9, "sliding causal=" + causal);
                }
            }
            check(Attentions.create(AttentionSpec.slidingWindow(4, causal).withBlockSize(4), H),
                    AttentionCheck.slidingMask(16, 4, causal, new int[] {1}, H, null), 16, 4, DataType.FLOAT, 1e-5,
                    "sliding causal=" + causal);
        }
    }

    @Test
    void stridedAndFixed() {
        for (boolean causal : new boolean[] {true, false}) {
            for (AttentionSpec spec : new AttentionSpec[] {AttentionSpec.strided(4, causal),
                AttentionSpec.fixed(4, 2, true, causal), AttentionSpec.fixed(6, 2, false, causal)}) {
                for (int len : new int[] {13, 16}) {
                    for (int edge : new int[] {spec.stride(), 3}) {
                        check(Attentions.create(spec, H), SparseTransformerAttentionTest.mask(spec, len), len, edge,
                                DataType.DOUBLE, 1e-9, spec.kind() + " causal=" + causal);
                    }
                }
            }
        }
    }

    @Test
    void bigBirdWithRandomBlocksAndGlobalTokens() {
        int[] global = {0, -1};
        for (boolean causal : new boolean[] {true, false}) {
            for (int len : new int[] {27, 32}) {
                for (int edge : new int[] {4, 8, 5}) {
                    BigBirdAttention a = new BigBirdAttention(4, 1, 2, 77, causal).withGlobal(global);
                    check(a, BigBirdAttentionTest.mask(a, len, 4, 1, causal, global, null), len, edge,
                            DataType.DOUBLE, 1e-9, "bigbird causal=" + causal);
                }
            }
        }
    }

    /** Documents and key padding together: both masks apply. */
    @Test
    void withKeyPadding() {
        int len = 14;
        double[][] keys = KeyPaddingMaskTest.keyMask(B, len);
        for (boolean causal : new boolean[] {true, false}) {
            Attention a = Attentions.create(AttentionSpec.slidingWindow(3, causal).withGlobal(0), H);
            a.setKeyMask(Nd4j.createFromArray(keys));
            INDArray pattern = AttentionCheck.slidingMask(len, 3, causal, new int[] {1}, H, keys, new int[] {0});
            check(a, pattern, len, 3, DataType.DOUBLE, 1e-9, "sliding + key padding causal=" + causal);
        }
        // dense causal: one additive mask per row (future + other document + padded), queries left without keys -> 0
        INDArray causalKeys = DenseCausalAttention.causalPattern(1, 1, len).mul(
                Nd4j.createFromArray(keys).reshape(B, 1, 1, len));
        for (double[] row : keys) {
            java.util.Arrays.fill(row, 0, 2, 0.0);      // the first two keys padded too: queries 0 and 1 see nothing
        }
        Attention dense = Attentions.create(AttentionSpec.dense(true), H);
        dense.setKeyMask(Nd4j.createFromArray(keys));
        check(dense, DenseCausalAttention.causalPattern(1, 1, len).mul(Nd4j.createFromArray(keys).reshape(B, 1, 1, len)),
                len, 3, DataType.DOUBLE, 1e-9, "dense causal + key padding (empty queries)");
        Attention dense2 = Attentions.create(AttentionSpec.dense(true), H);
        dense2.setKeyMask(Nd4j.createFromArray(KeyPaddingMaskTest.keyMask(B, len)));
        check(dense2, causalKeys, len, 3, DataType.FLOAT, 1e-5, "dense causal + key padding, float");
    }

    /** The reference itself: {@code setSegments} on the masked dense kernel equals the written-out combined mask. */
    @Test
    void maskedDenseSegmentsEqualTheCombinedPattern() {
        int len = 10;
        double[][] seg = segments(len, 3, 5);
        INDArray causal = DenseCausalAttention.causalPattern(1, 1, len);
        MaskedDenseAttention withSegments = new MaskedDenseAttention((b, h, l) -> causal);
        withSegments.setSegments(Nd4j.createFromArray(seg));
        INDArray mask = combined(causal, seg, 1);
        AttentionCheck.assertMatches(withSegments, new MaskedDenseAttention((b, h, l) -> mask), B, H, len, HD,
                DataType.DOUBLE, 1e-12, "masked dense segments");
    }

    /** Pairs of different documents never meet in LSH: the kernel equals dense under its union mask and same-document. */
    @Test
    void lsh() {
        for (boolean causal : new boolean[] {true, false}) {
            lshCheck(new LshAttention(2, 4, 3, causal, 7), 12, 3, causal, 3, DataType.DOUBLE, 1e-9);
            lshCheck(new LshAttention(3, 2, 4, causal, 8), 16, 4, causal, 5, DataType.DOUBLE, 1e-9);
            lshCheck(new LshAttention(2, 1, 4, causal, 8), 16, 4, causal, 4, DataType.DOUBLE, 1e-9);
            lshCheck(new LshAttention(2, 4, 5, causal, 9), 23, 5, causal, 5, DataType.FLOAT, 1e-5);
        }
    }

    private static void lshCheck(LshAttention lsh, int len, int chunk, boolean causal, int edge, DataType type,
                                 double tol) {
        int h = 2;   // LshAttentionTest.unionMask is written for 2 heads
        double[][] seg = segments(len, edge, len * 7L + edge);
        lsh.setSegments(Nd4j.createFromArray(seg).castTo(type));
        INDArray q = Nd4j.randn(DataType.DOUBLE, B, h, len, HD).castTo(type);
        INDArray v = Nd4j.randn(DataType.DOUBLE, B, h, len, HD).castTo(type);
        INDArray dOut = Nd4j.randn(DataType.DOUBLE, B, h, len, HD).castTo(type);
        INDArray out = Nd4j.create(type, B, h, len, HD);
        lsh.forward(q, q.dup(), v, out, Alloc.current(type));
        INDArray dq = Nd4j.create(type, B, h, len, HD);
        INDArray dk = Nd4j.create(type, B, h, len, HD);
        INDArray dv = Nd4j.create(type, B, h, len, HD);
        lsh.backward(dOut, dq, dk, dv);
        INDArray mask = combined(LshAttentionTest.unionMask(lsh.lastBuckets(), chunk, causal), seg, h);
        INDArray norm = q.norm2(3).reshape(B, h, len, 1);
        INDArray kn = q.div(norm);
        MaskedDenseAttention dense = new MaskedDenseAttention((b, hh, l) -> mask);
        INDArray ref = Nd4j.create(type, B, h, len, HD);
        dense.forward(q, kn, v, ref, Alloc.current(type));
        INDArray rdq = Nd4j.create(type, B, h, len, HD);
        INDArray rdk = Nd4j.create(type, B, h, len, HD);
        INDArray rdv = Nd4j.create(type, B, h, len, HD);
        dense.backward(dOut, rdq, rdk, rdv);
        INDArray along = rdk.mul(kn).sum(3).reshape(B, h, len, 1);
        rdq.addi(rdk.sub(kn.mul(along)).divi(norm));                       // through k = q / |q|
        double e = Math.max(Math.max(AttentionCheck.diff(out, ref), AttentionCheck.diff(dq, rdq)),
                AttentionCheck.diff(dv, rdv));
        System.out.println("LSH L=" + len + " chunk=" + chunk + " causal=" + causal + " " + type + " documents: " + e);
        assertTrue(ref.amaxNumber().doubleValue() > 0.1 && rdq.amaxNumber().doubleValue() > 0.1, "not vacuous");
        assertTrue(e <= tol, "LSH with documents: error " + e);
        // every query has a key (itself at least): no row is all zero in the combined mask
        assertEquals(0.0, mask.max(3).rsub(1.0).sumNumber().doubleValue(), "a query without any key");
    }

    /** Central differences of {@code sum(out * r)} with respect to q, k and v, with documents set. */
    @Test
    void numericalGradients() {
        int len = 9;
        AttentionSpec[] specs = {AttentionSpec.denseCausal(), AttentionSpec.slidingWindow(2, true).withGlobal(0),
            AttentionSpec.slidingWindow(2, false).withDilations(1, 2).withGlobal(-1), AttentionSpec.strided(3, true),
            AttentionSpec.fixed(4, 2, true, true), AttentionSpec.bigBird(3, 1, 1, 5, false).withGlobal(0)};
        for (AttentionSpec spec : specs) {
            gradientCheck(Attentions.create(spec, 2), len, spec.kind() + " causal=" + spec.causal());
        }
    }

    private static void gradientCheck(Attention a, int len, String what) {
        int h = 2;
        int hd = 2;
        DataType t = DataType.DOUBLE;
        a.setSegments(Nd4j.createFromArray(segments(len, 3, 3)));
        INDArray q = Nd4j.randn(t, B, h, len, hd);
        INDArray k = Nd4j.randn(t, B, h, len, hd);
        INDArray v = Nd4j.randn(t, B, h, len, hd);
        INDArray r = Nd4j.randn(t, B, h, len, hd);
        INDArray out = Nd4j.create(t, B, h, len, hd);
        a.forward(q, k, v, out, Alloc.current(t));
        INDArray dq = Nd4j.create(t, B, h, len, hd);
        INDArray dk = Nd4j.create(t, B, h, len, hd);
        INDArray dv = Nd4j.create(t, B, h, len, hd);
        a.backward(r, dq, dk, dv);
        java.util.function.DoubleSupplier loss = () -> {
            INDArray o = Nd4j.create(t, B, h, len, hd);
            a.forward(q, k, v, o, null);
            return o.mul(r).sumNumber().doubleValue();
        };
        NumericGradient.check(what + " dq", q, dq, loss);
        NumericGradient.check(what + " dk", k, dk, loss);
        NumericGradient.check(what + " dv", v, dv, loss);
    }
}
