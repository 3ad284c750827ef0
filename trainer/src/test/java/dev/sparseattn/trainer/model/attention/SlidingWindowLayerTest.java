package dev.sparseattn.trainer.model.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.trainer.model.NumericGradient;
import dev.sparseattn.trainer.model.DoublePrecisionNd4j;
import dev.sparseattn.trainer.model.SingleThreadNd4j;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.blocks.AttentionBranch;
import dev.sparseattn.trainer.model.network.LmLayerConf;
import dev.sparseattn.trainer.model.ops.Alloc;
import java.util.function.DoubleSupplier;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * The sliding window inside the attention branch (LayerNorm, fused QKV projection, output projection) and inside a
 * whole DL4J network: parameter gradients equal those of dense attention under the same mask, and DL4J's own
 * numerical gradient check passes.
 */
@ExtendWith({SingleThreadNd4j.class, DoublePrecisionNd4j.class})
class SlidingWindowLayerTest {

    @BeforeEach
    void seed() {
        Nd4j.getRandom().setSeed(7);
    }

    private static AttentionBranch.Params params(DataType t, int d, boolean zero) {
        return new AttentionBranch.Params(
                zero ? Nd4j.create(t, d) : Nd4j.rand(t, d).addi(0.5), zero ? Nd4j.create(t, d) : Nd4j.randn(t, d),
                zero ? Nd4j.create(t, d, 3 * d) : Nd4j.randn(t, d, 3 * d).muli(0.5),
                zero ? Nd4j.create(t, 3 * d) : Nd4j.randn(t, 3 * d).muli(0.1),
                zero ? Nd4j.create(t, d, d) : Nd4j.randn(t, d, d).muli(0.5),
                zero ? Nd4j.create(t, d) : Nd4j.randn(t, d).muli(0.1));
    }

    private static INDArray[] list(AttentionBranch.Params p) {
        return new INDArray[] {p.lnGain(), p.lnBias(), p.wqkv(), p.bqkv(), p.wo(), p.bo()};
    }

    /** Output, input gradient and all six parameter gradients of the branch: sparse vs dense-with-mask. */
    private static double branchErrors(DataType t, int batch, int len, int heads, int hd, int window, boolean causal,
                                       int[] dilations) {
        int d = heads * hd;
        AttentionBranch.Params p = params(t, d, false);
        INDArray x = Nd4j.randn(t, (long) batch * len, d);
        INDArray dy = Nd4j.randn(t, (long) batch * len, d);
        INDArray mask = AttentionCheck.slidingMask(len, window, causal, dilations, heads, null);
        Attention[] kernels = {new SlidingWindowAttention(window, causal, 0, dilations),
            new MaskedDenseAttention((b, h, l) -> mask)};
        INDArray[] outs = new INDArray[2];
        INDArray[] dxs = new INDArray[2];
        AttentionBranch.Params[] grads = new AttentionBranch.Params[2];
        for (int i = 0; i < 2; i++) {
            AttentionBranch branch = new AttentionBranch(kernels[i], heads);
            Alloc a = Alloc.current(t);
            outs[i] = branch.forward(x, batch, len, p, Nd4j.create(t, (long) batch * len, d), a, a);
            grads[i] = params(t, d, true);
            dxs[i] = Nd4j.create(t, (long) batch * len, d);
            branch.backward(dy, p, grads[i], dxs[i], a);
        }
        double worst = Math.max(AttentionCheck.diff(outs[0], outs[1]), AttentionCheck.diff(dxs[0], dxs[1]));
        INDArray[] g0 = list(grads[0]);
        INDArray[] g1 = list(grads[1]);
        for (int j = 0; j < g0.length; j++) {
            worst = Math.max(worst, AttentionCheck.diff(g0[j], g1[j]));
            assertTrue(g1[j].amaxNumber().doubleValue() > 1e-3, "gradient " + j + " is trivially zero");
        }
        return worst;
    }

    @Test
    void branchGradientsEqualMaskedDense() {
        double dbl = Math.max(branchErrors(DataType.DOUBLE, 2, 13, 2, 4, 3, true, new int[] {1}),
                branchErrors(DataType.DOUBLE, 2, 13, 2, 4, 3, false, new int[] {1}));
        double flt = Math.max(branchErrors(DataType.FLOAT, 2, 21, 2, 4, 4, true, new int[] {1}),
                branchErrors(DataType.FLOAT, 2, 21, 2, 4, 4, false, new int[] {1}));
        System.out.println("sliding window branch (LN, Wqkv, bqkv, Wo, bo, dx): max error double " + dbl + ", float "
                + flt);
        assertTrue(dbl <= 1e-9, "double " + dbl);
        assertTrue(flt <= 1e-5, "float " + flt);
    }

    @Test
    void kernelBackwardMatchesFiniteDifferences() {
        int b = 2;
        int h = 2;
        int len = 9;
        int hd = 3;
        for (boolean causal : new boolean[] {true, false}) {
            INDArray qkv = Nd4j.randn(DataType.DOUBLE, b * len, 3 * h * hd);
            INDArray[] p = AttentionCheck.heads(qkv, 3, b, h, len, hd);
            INDArray r = Nd4j.randn(DataType.DOUBLE, b, h, len, hd);
            SlidingWindowAttention att = new SlidingWindowAttention(2, causal, 2);
            att.forward(p[0], p[1], p[2], Nd4j.create(DataType.DOUBLE, b, h, len, hd), Alloc.current(DataType.DOUBLE));
            INDArray dQkv = Nd4j.create(DataType.DOUBLE, b * len, 3 * h * hd);
            INDArray[] g = AttentionCheck.heads(dQkv, 3, b, h, len, hd);
            att.backward(r, g[0], g[1], g[2]);
            SlidingWindowAttention probe = new SlidingWindowAttention(2, causal, 2);
            DoubleSupplier loss = () -> {
                INDArray o = Nd4j.create(DataType.DOUBLE, b, h, len, hd);
                probe.forward(p[0], p[1], p[2], o, null);
                return o.mul(r).sumNumber().doubleValue();
            };
            NumericGradient.check("dQKV causal=" + causal, qkv, dQkv, loss);
        }
    }

    @Test
    void networkWithSlidingWindowPassesDl4jGradientCheck() {
        assertTrue(NetworkGradientCheck.passes(AttentionSpec.slidingWindow(2, true).withBlockSize(2),
                AttentionSpec.slidingWindow(3, true).withDilations(1, 2)),
                "gradient check failed; see the log for the failing parameters");
    }

    @Test
    void specSurvivesJsonInModelAndLayerConfigurations() {
        AttentionSpec spec = AttentionSpec.slidingWindow(256, false).withDilations(1, 2, 4, 8).withBlockSize(128);
        assertEquals(spec, AttentionSpec.fromJson(spec.toJson()));
        TransformerConfig config = new TransformerConfig(11, 9, 8, 2, 2, 16, 1).withAttention(spec);
        assertEquals(config, TransformerConfig.fromJson(config.toJson()));
        assertEquals(spec, config.attentionFor(1));
        TransformerConfig old = TransformerConfig.fromJson(
                "{\"vocabSize\":11,\"seqLen\":9,\"dModel\":8,\"nHeads\":2,\"nLayers\":2,\"ffnHidden\":16,\"seed\":1}");
        assertEquals(AttentionSpec.denseCausal(), old.attentionFor(0));
        MultiLayerConfiguration conf = TransformerLM.configuration(config, new NoOp(), DataType.FLOAT);
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(conf.toJson());
        assertEquals(conf, back);
        assertEquals(spec, ((LmLayerConf) back.getConf(0).getLayer()).model().attentionFor(1));
    }
}
