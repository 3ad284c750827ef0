package dev.sparseattn.trainer.model.reversible;

import dev.sparseattn.trainer.model.TransformerConfig;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.blocks.AttentionBranch;
import dev.sparseattn.trainer.model.blocks.FeedForwardBranch;
import dev.sparseattn.trainer.model.layers.ParamLayout;
import dev.sparseattn.trainer.model.layers.TransformerBlockParams;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Parameters of {@link FusedLM}, in layout order:
 * <pre>
 *   tokEmb                [vocab, d]        token embedding (also the output projection when tied)
 *   posEmb                [seqLen, d]       LEARNED positions
 *   axEmb0, axEmb1, ...   [s_j, d_j]        AXIAL positions, one table per factor of axialShape
 *   l{i}ln1g ... l{i}b2                     block i, keys of {@link TransformerBlockParams} prefixed "l{i}"
 *   lnfg, lnfb            [d]               final LayerNorm
 *   headW                 [d, vocab]        output projection (untied only)
 *   headb                 [vocab]           output bias
 * </pre>
 * Initialisation as GPT-2 (and as the layered model): N(0, 0.02), the residual output projections {@code Wo, W2}
 * N(0, 0.02 / sqrt(2 nLayers)).
 */
public final class FusedLMParams extends ParamLayout {

    public static final String TOKEN = "tokEmb";
    public static final String POSITION = "posEmb";
    public static final String AXIAL = "axEmb";
    public static final String LNF_GAIN = "lnfg";
    public static final String LNF_BIAS = "lnfb";
    public static final String HEAD_W = "headW";
    public static final String HEAD_B = "headb";

    static final FusedLMParams INSTANCE = new FusedLMParams();

    /** Key of block {@code layer}'s parameter {@code key} (a {@link TransformerBlockParams} key). */
    public static String block(int layer, String key) {
        return "l" + layer + key;
    }

    /** Widths {@code d_j} of the axial tables: {@code d / k} each, the first {@code d mod k} one wider. */
    static int[] axialWidths(TransformerConfig c) {
        int k = c.axialShape().size();
        int[] w = new int[k];
        for (int j = 0; j < k; j++) {
            w[j] = c.dModel() / k + (j < c.dModel() % k ? 1 : 0);
        }
        return w;
    }

    @Override
    protected List<Spec> specs(Layer layer) {
        TransformerConfig c = ((FusedLM) layer).model();
        long d = c.dModel();
        long f = c.ffnHidden();
        double std = TransformerLM.INIT_STD;
        double residualStd = std / Math.sqrt(2.0 * c.nLayers());
        List<Spec> specs = new ArrayList<>();
        specs.add(weight(TOKEN, std, c.vocabSize(), d));
        if (c.positions() == TransformerConfig.Positions.LEARNED) {
            specs.add(weight(POSITION, std, c.seqLen(), d));
        } else {
            int[] widths = axialWidths(c);
            for (int j = 0; j < widths.length; j++) {
                specs.add(weight(AXIAL + j, std, c.axialShape().get(j), widths[j]));
            }
        }
        for (int i = 0; i < c.nLayers(); i++) {
            specs.add(gain(block(i, TransformerBlockParams.LN1_GAIN), d));
            specs.add(bias(block(i, TransformerBlockParams.LN1_BIAS), d));
            specs.add(weight(block(i, TransformerBlockParams.W_QKV), std, d, 3 * d));
            specs.add(bias(block(i, TransformerBlockParams.B_QKV), 3 * d));
            specs.add(weight(block(i, TransformerBlockParams.W_O), residualStd, d, d));
            specs.add(bias(block(i, TransformerBlockParams.B_O), d));
            specs.add(gain(block(i, TransformerBlockParams.LN2_GAIN), d));
            specs.add(bias(block(i, TransformerBlockParams.LN2_BIAS), d));
            specs.add(weight(block(i, TransformerBlockParams.W_1), std, d, f));
            specs.add(bias(block(i, TransformerBlockParams.B_1), f));
            specs.add(weight(block(i, TransformerBlockParams.W_2), residualStd, f, d));
            specs.add(bias(block(i, TransformerBlockParams.B_2), d));
        }
        specs.add(gain(LNF_GAIN, d));
        specs.add(bias(LNF_BIAS, d));
        if (!c.tiedEmbeddings()) {
            specs.add(weight(HEAD_W, std, d, c.vocabSize()));
        }
        specs.add(bias(HEAD_B, c.vocabSize()));
        return specs;
    }

    /** Block {@code i}'s attention-branch parameters (or gradients) from a parameter (or gradient) table. */
    static AttentionBranch.Params attention(Map<String, INDArray> m, int i) {
        return new AttentionBranch.Params(m.get(block(i, TransformerBlockParams.LN1_GAIN)),
                m.get(block(i, TransformerBlockParams.LN1_BIAS)), m.get(block(i, TransformerBlockParams.W_QKV)),
                m.get(block(i, TransformerBlockParams.B_QKV)), m.get(block(i, TransformerBlockParams.W_O)),
                m.get(block(i, TransformerBlockParams.B_O)));
    }

    /** Block {@code i}'s feed-forward-branch parameters (or gradients). */
    static FeedForwardBranch.Params feedForward(Map<String, INDArray> m, int i) {
        return new FeedForwardBranch.Params(m.get(block(i, TransformerBlockParams.LN2_GAIN)),
                m.get(block(i, TransformerBlockParams.LN2_BIAS)), m.get(block(i, TransformerBlockParams.W_1)),
                m.get(block(i, TransformerBlockParams.B_1)), m.get(block(i, TransformerBlockParams.W_2)),
                m.get(block(i, TransformerBlockParams.B_2)));
    }
}
