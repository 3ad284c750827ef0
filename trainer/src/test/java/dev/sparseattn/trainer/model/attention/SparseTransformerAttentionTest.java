package dev.sparseattn.trainer.model.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;

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

/** Sparse Transformer strided and fixed patterns (heads split between the two factors) against masked dense. */
@ExtendWith(SingleThreadNd4j.class)
class SparseTransformerAttentionTest {

    private static final int B = 2;
    private static final int H = 4;
    private static final int HD = 4;

    @BeforeEach
    void seed() {
        Nd4j.getRandom().setSeed(5);
    }

    /** The pattern written out pair by pair from Child et al. 2019, section 4.2: [1, H, L, L]. */
    static INDArray mask(AttentionSpec spec, int len) {
        int first = H - H / 2;
        int l = spec.stride();
        int c = spec.summary();
        double[][][][] m = new double[1][H][len][len];
        for (int h = 0; h < H; h++) {
            for (int i = 0; i < len; i++) {
                for (int j = 0; j < len; j++) {
                    boolean ok;
                    if (spec.kind() == AttentionSpec.Kind.STRIDED) {
                        ok = h < first ? Math.abs(i - j) <= l : Math.abs(i - j) % l == 0;
                    } else if (h < first) {
                        ok = i / l == j / l;
                    } else {
                        int group = spec.summaryPerHead() ? (h - first) % (l / c) : 0;
                        int cell = j % l;
                        ok = cell >= l - c * (group + 1) && cell < l - c * group;
                    }
                    m[0][h][i][j] = ok && (!spec.causal() || j <= i) ? 1 : 0;
                }
            }
        }
        return Nd4j.createFromArray(m);
    }

    private static void check(AttentionSpec spec, int len, DataType type, double tol) {
        INDArray mask = mask(spec, len);
        AttentionCheck.Errors e = AttentionCheck.assertMatches(Attentions.create(spec, H),
                new MaskedDenseAttention((b, h, l) -> mask), B, H, len, HD, type, tol, spec + " L=" + len);
        System.out.println(spec.kind() + " l=" + spec.stride() + " c=" + spec.summary() + " perHead="
                + spec.summaryPerHead() + " causal=" + spec.causal() + " L=" + len + " " + type + ": " + e);
    }

    @Test
    void stridedEqualsMaskedDense() {
        for (boolean causal : new boolean[] {true, false}) {
            check(AttentionSpec.strided(4, causal), 16, DataType.DOUBLE, 1e-9);
            check(AttentionSpec.strided(4, causal), 13, DataType.DOUBLE, 1e-9);
            check(AttentionSpec.strided(5, causal), 3, DataType.DOUBLE, 1e-9);   // stride beyond the sequence
            check(AttentionSpec.strided(3, causal), 20, DataType.FLOAT, 1e-5);
        }
    }

    @Test
    void fixedEqualsMaskedDense() {
        for (boolean causal : new boolean[] {true, false}) {
            check(AttentionSpec.fixed(4, 1, false, causal), 16, DataType.DOUBLE, 1e-9);
            check(AttentionSpec.fixed(4, 2, true, causal), 13, DataType.DOUBLE, 1e-9);   // per-head summary cells
            check(AttentionSpec.fixed(6, 2, true, causal), 4, DataType.DOUBLE, 1e-9);    // block beyond the sequence
            check(AttentionSpec.fixed(5, 2, false, causal), 22, DataType.FLOAT, 1e-5);
        }
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        int len = 7;
        int hd = 2;
        for (AttentionSpec spec : new AttentionSpec[] {AttentionSpec.strided(3, true), AttentionSpec.fixed(3, 1, true,
                false)}) {
            INDArray qkv = Nd4j.randn(DataType.DOUBLE, B * len, 3 * H * hd);
            INDArray[] p = AttentionCheck.heads(qkv, 3, B, H, len, hd);
            INDArray r = Nd4j.randn(DataType.DOUBLE, B, H, len, hd);
            Attention att = Attentions.create(spec, H);
            att.forward(p[0], p[1], p[2], Nd4j.create(DataType.DOUBLE, B, H, len, hd), Alloc.current(DataType.DOUBLE));
            INDArray dQkv = Nd4j.create(DataType.DOUBLE, B * len, 3 * H * hd);
            INDArray[] g = AttentionCheck.heads(dQkv, 3, B, H, len, hd);
            att.backward(r, g[0], g[1], g[2]);
            Attention probe = Attentions.create(spec, H);
            DoubleSupplier loss = () -> {
                INDArray o = Nd4j.create(DataType.DOUBLE, B, H, len, hd);
                probe.forward(p[0], p[1], p[2], o, null);
                return o.mul(r).sumNumber().doubleValue();
            };
            NumericGradient.check("dQKV " + spec.kind(), qkv, dQkv, loss);
        }
    }

    @Test
    void perHeadSummaryCellsDiffer() {
        SummaryColumnAttention a = new SummaryColumnAttention(8, 2, true, true);
        assertEquals(6, a.firstCell(0));
        assertEquals(4, a.firstCell(1));
        assertEquals(0, a.firstCell(3));
        assertEquals(6, a.firstCell(4));        // wraps after l / c groups
        assertEquals(6, new SummaryColumnAttention(8, 2, false, true).firstCell(3));
    }
}
