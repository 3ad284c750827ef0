package dev.sparseattn.trainer.model.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.trainer.model.ExactArrays;
import dev.sparseattn.trainer.model.NumericGradient;
import dev.sparseattn.trainer.model.ops.Alloc;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.BeforeEach;
import dev.sparseattn.trainer.model.SingleThreadNd4j;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

@ExtendWith(SingleThreadNd4j.class)
class DenseCausalAttentionTest {

    private static final DataType D = DataType.DOUBLE;
    private static final int B = 2;
    private static final int H = 3;
    private static final int L = 5;
    private static final int HD = 4;

    @BeforeEach
    void seed() {
        Nd4j.getRandom().setSeed(11);
    }

    /** Strided head views of a fused [B*L, 3*H*HD] projection, as the transformer block passes them. */
    private static INDArray[] fusedQkv(INDArray qkv, int len) {
        INDArray[] out = new INDArray[3];
        for (int part = 0; part < 3; part++) {
            out[part] = qkv.reshape('c', B, len, 3, H, HD).permute(2, 0, 3, 1, 4)
                    .get(NDArrayIndex.point(part), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(),
                            NDArrayIndex.all());
        }
        return out;
    }

    /** Plainly written reference: per batch and head, explicit masked softmax(q k^T / sqrt(d)) v. */
    private static double[][][][] reference(INDArray q, INDArray k, INDArray v) {
        int len = (int) q.size(2);
        double[][][][] out = new double[B][H][len][HD];
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < H; h++) {
                for (int i = 0; i < len; i++) {
                    double[] w = new double[len];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= i; j++) {
                        double s = 0;
                        for (int c = 0; c < HD; c++) {
                            s += q.getDouble(b, h, i, c) * k.getDouble(b, h, j, c);
                        }
                        w[j] = s / Math.sqrt(HD);
                        max = Math.max(max, w[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j <= i; j++) {
                        w[j] = Math.exp(w[j] - max);
                        sum += w[j];
                    }
                    for (int j = 0; j <= i; j++) {
                        for (int c = 0; c < HD; c++) {
                            out[b][h][i][c] += w[j] / sum * v.getDouble(b, h, j, c);
                        }
                    }
                }
            }
        }
        return out;
    }

    @Test
    void equalsPlainReferenceOnStridedViews() {
        for (int len : new int[] {L, 1, 3}) {   // one instance, several lengths (as for sampling)
            INDArray qkv = Nd4j.randn(D, B * len, 3 * H * HD);
            INDArray[] p = fusedQkv(qkv, len);
            INDArray ctx = Nd4j.create(D, B * len, H * HD);
            INDArray out = ctx.reshape('c', B, len, H, HD).permute(0, 2, 1, 3);      // strided output view
            new DenseCausalAttention().forward(p[0], p[1], p[2], out, null);
            double[][][][] ref = reference(p[0], p[1], p[2]);
            for (int b = 0; b < B; b++) {
                for (int h = 0; h < H; h++) {
                    for (int i = 0; i < len; i++) {
                        for (int c = 0; c < HD; c++) {
                            assertEquals(ref[b][h][i][c], out.getDouble(b, h, i, c), 1e-12);
                        }
                    }
                }
            }
        }
    }

    @Test
    void futureTokensDoNotInfluencePastOutputs() {
        DenseCausalAttention attention = new DenseCausalAttention();
        INDArray q = Nd4j.randn(D, B, H, L, HD);
        INDArray k = Nd4j.randn(D, B, H, L, HD);
        INDArray v = Nd4j.randn(D, B, H, L, HD);
        INDArray before = Nd4j.create(D, B, H, L, HD);
        attention.forward(q, k, v, before, null);
        for (int t = 0; t < L; t++) {
            INDArray q2 = q.dup();
            INDArray k2 = k.dup();
            INDArray v2 = v.dup();
            for (INDArray a : new INDArray[] {q2, k2, v2}) {
                a.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(t, L), NDArrayIndex.all())
                        .addi(Nd4j.randn(D, B, H, L - t, HD).muli(5));
            }
            INDArray after = Nd4j.create(D, B, H, L, HD);
            attention.forward(q2, k2, v2, after, null);
            if (t > 0) {
                INDArray past = before.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, t),
                        NDArrayIndex.all());
                ExactArrays.assertExactlyEqual(past, after.get(NDArrayIndex.all(), NDArrayIndex.all(),
                        NDArrayIndex.interval(0, t), NDArrayIndex.all()), "outputs before position " + t + " changed");
            }
            INDArray atT = after.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(t), NDArrayIndex.all());
            INDArray atTBefore = before.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(t), NDArrayIndex.all());
            assertTrue(atT.sub(atTBefore).amaxNumber().doubleValue() > 1e-3, "position " + t + " should change");
        }
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        INDArray qkv = Nd4j.randn(D, B * L, 3 * H * HD);
        INDArray[] p = fusedQkv(qkv, L);
        INDArray r = Nd4j.randn(D, B, H, L, HD);
        DenseCausalAttention attention = new DenseCausalAttention();
        INDArray out = Nd4j.create(D, B * L, H * HD).reshape('c', B, L, H, HD).permute(0, 2, 1, 3);
        attention.forward(p[0], p[1], p[2], out, Alloc.current(D));

        // gradients written into strided views of a fused [B*L, 3*H*HD] array, as in the block
        INDArray dQkv = Nd4j.create(D, B * L, 3 * H * HD);
        INDArray[] g = fusedQkv(dQkv, L);
        INDArray dOut = Nd4j.create(D, B * L, H * HD).reshape('c', B, L, H, HD).permute(0, 2, 1, 3).assign(r);
        attention.backward(dOut, g[0], g[1], g[2]);

        DoubleSupplier loss = () -> {
            INDArray o = Nd4j.create(D, B, H, L, HD);
            new DenseCausalAttention().forward(p[0], p[1], p[2], o, null);
            return o.mul(r).sumNumber().doubleValue();
        };
        NumericGradient.check("dQKV", qkv, dQkv, loss);
    }

    /**
     * Causal blocking (query blocks scored only against keys up to their own end) against the masked dense
     * reference with the causal pattern, for block sizes that divide the length, do not, are 1 and exceed it;
     * with key padding (queries left without any key) and with documents of packed rows plus padding.
     */
    @Test
    void queryBlocksEqualTheMaskedDenseReference() {
        int heads = 4;
        for (int len : new int[] {9, 8}) {
            INDArray causal = DenseCausalAttention.causalPattern(1, 1, len);
            double[][] keys = KeyPaddingMaskTest.keyMask(B, len);
            java.util.Arrays.fill(keys[0], 0, 2, 0.0);              // queries 0 and 1 of row 0 see no key
            INDArray keyMask = Nd4j.createFromArray(keys);
            double[][] seg = DocumentMaskTest.segments(len, 3, 5L * len);
            for (int block : new int[] {1, 2, 3, 4, 100}) {
                String what = "dense causal L=" + len + " query block " + block;
                AttentionCheck.assertMatches(new DenseCausalAttention(block), new MaskedDenseAttention((b, h, l) -> causal),
                        B, heads, len, HD, D, 1e-12, what);
                AttentionCheck.assertMatches(new DenseCausalAttention(block),
                        new MaskedDenseAttention((b, h, l) -> causal), B, heads, len, HD, DataType.FLOAT, 1e-5,
                        what + " float");

                DenseCausalAttention padded = new DenseCausalAttention(block);
                padded.setKeyMask(keyMask);
                MaskedDenseAttention paddedRef = new MaskedDenseAttention((b, h, l) -> causal);
                paddedRef.setKeyMask(keyMask);
                AttentionCheck.assertMatches(padded, paddedRef, B, heads, len, HD, D, 1e-12, what + " key padding");

                DenseCausalAttention docs = new DenseCausalAttention(block);
                docs.setKeyMask(keyMask);
                docs.setSegments(Nd4j.createFromArray(seg));
                INDArray combined = DocumentMaskTest.combined(causal, seg, heads)
                        .muli(keyMask.reshape(B, 1, 1, len));
                AttentionCheck.assertMatches(docs, new MaskedDenseAttention((b, h, l) -> combined), B, heads, len,
                        HD, D, 1e-12, what + " documents and key padding");
            }
        }
    }

    @Test
    void blockedBackwardMatchesFiniteDifferences() {
        int len = 7;
        INDArray qkv = Nd4j.randn(D, B * len, 3 * H * HD);
        INDArray[] p = fusedQkv(qkv, len);
        INDArray r = Nd4j.randn(D, B, H, len, HD);
        DenseCausalAttention attention = new DenseCausalAttention(3);
        INDArray out = Nd4j.create(D, B * len, H * HD).reshape('c', B, len, H, HD).permute(0, 2, 1, 3);
        attention.forward(p[0], p[1], p[2], out, Alloc.current(D));
        INDArray dQkv = Nd4j.create(D, B * len, 3 * H * HD);
        INDArray[] g = fusedQkv(dQkv, len);
        INDArray dOut = Nd4j.create(D, B * len, H * HD).reshape('c', B, len, H, HD).permute(0, 2, 1, 3).assign(r);
        attention.backward(dOut, g[0], g[1], g[2]);

        DoubleSupplier loss = () -> {
            INDArray o = Nd4j.create(D, B, H, len, HD);
            new DenseCausalAttention(3).forward(p[0], p[1], p[2], o, null);
            return o.mul(r).sumNumber().doubleValue();
        };
        NumericGradient.check("dQKV", qkv, dQkv, loss);
    }

    @Test
    void rejectsAnEmptyQueryBlock() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new DenseCausalAttention(0));
    }
}
