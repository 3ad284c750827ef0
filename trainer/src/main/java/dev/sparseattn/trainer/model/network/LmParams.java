package dev.sparseattn.trainer.model.network;

import dev.sparseattn.trainer.model.blocks.AttentionBranch;
import dev.sparseattn.trainer.model.blocks.FeedForwardBranch;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Parameters of {@link LmLayerConf}, in layout order (weights are {@code [in, out]}, applied as {@code x W}; the columns
 * of {@code Wqkv} are {@code [q | k | v]}, each split into heads of {@code headDim} consecutive columns):
 * <pre>
 *   tokEmb                [vocab, d]        token embedding (also the output projection when tied)
 *   posEmb                [seqLen, d]       LEARNED positions
 *   axEmb0, axEmb1, ...   [s_j, d_j]        AXIAL positions, one table per factor of axialShape
 *                                           (ROTARY positions: no table)
 *   l{i}ln1g, l{i}ln1b    [d]               block i: attention branch LayerNorm
 *   l{i}Wqkv, l{i}bqkv    [d, 3d], [3d]     fused q, k, v projection
 *   l{i}Wo, l{i}bo        [d, d], [d]       attention output projection
 *   l{i}ln2g, l{i}ln2b    [d]               feed-forward branch LayerNorm
 *   l{i}W1, l{i}b1        [d, f], [f]       feed-forward
 *   l{i}W2, l{i}b2        [f, d], [d]
 *   lnfg, lnfb            [d]               final LayerNorm
 *   headW                 [d, vocab]        output projection (untied only)
 *   headb                 [vocab]           output bias
 * </pre>
 * Initialisation as GPT-2 (Radford et al. 2019): N(0, 0.02), the residual output projections {@code Wo, W2}
 * N(0, 0.02 / sqrt(2 nLayers)).
 */
public final class LmParams extends ParamLayout {

    /** GPT-2's initialisation standard deviation for weights and embeddings. */
    public static final double INIT_STD = 0.02;

    /** Keys of a block's parameters (no underscore: DL4J's updater splits {@code "<layer>_<key>"} at the last one). */
    public static final String LN1_GAIN = "ln1g";
    public static final String LN1_BIAS = "ln1b";
    public static final String W_QKV = "Wqkv";
    public static final String B_QKV = "bqkv";
    public static final String W_O = "Wo";
    public static final String B_O = "bo";
    public static final String LN2_GAIN = "ln2g";
    public static final String LN2_BIAS = "ln2b";
    public static final String W_1 = "W1";
    public static final String B_1 = "b1";
    public static final String W_2 = "W2";
    public static final String B_2 = "b2";

    public static final String TOKEN = "tokEmb";
    public static final String POSITION = "posEmb";
    public static final String AXIAL = "axEmb";
    public static final String LNF_GAIN = "lnfg";
    public static final String LNF_BIAS = "lnfb";
    public static final String HEAD_W = "headW";
    public static final String HEAD_B = "headb";

    static final LmParams INSTANCE = new LmParams();

    /** Key of block {@code layer}'s parameter {@code key} (one of the block keys above). */
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
        TransformerConfig c = ((LmLayerConf) layer).model();
        long d = c.dModel();
        long f = c.ffnHidden();
        double std = INIT_STD;
        double residualStd = std / Math.sqrt(2.0 * c.nLayers());
        List<Spec> specs = new ArrayList<>();
        specs.add(weight(TOKEN, std, c.vocabSize(), d));
        if (c.positions() == TransformerConfig.Positions.LEARNED) {
            specs.add(weight(POSITION, std, c.seqLen(), d));
        } else if (c.positions() == TransformerConfig.Positions.AXIAL) {
            int[] widths = axialWidths(c);
            for (int j = 0; j < widths.length; j++) {
                specs.add(weight(AXIAL + j, std, c.axialShape().get(j), widths[j]));
            }
        }
        for (int i = 0; i < c.nLayers(); i++) {
            specs.add(gain(block(i, LN1_GAIN), d));
            specs.add(bias(block(i, LN1_BIAS), d));
            specs.add(weight(block(i, W_QKV), std, d, 3 * d));
            specs.add(bias(block(i, B_QKV), 3 * d));
            specs.add(weight(block(i, W_O), residualStd, d, d));
            specs.add(bias(block(i, B_O), d));
            specs.add(gain(block(i, LN2_GAIN), d));
            specs.add(bias(block(i, LN2_BIAS), d));
            specs.add(weight(block(i, W_1), std, d, f));
            specs.add(bias(block(i, B_1), f));
            specs.add(weight(block(i, W_2), residualStd, f, d));
            specs.add(bias(block(i, B_2), d));
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
        return new AttentionBranch.Params(m.get(block(i, LN1_GAIN)),
                m.get(block(i, LN1_BIAS)), m.get(block(i, W_QKV)),
                m.get(block(i, B_QKV)), m.get(block(i, W_O)),
                m.get(block(i, B_O)));
    }

    /** Block {@code i}'s feed-forward-branch parameters (or gradients). */
    static FeedForwardBranch.Params feedForward(Map<String, INDArray> m, int i) {
        return new FeedForwardBranch.Params(m.get(block(i, LN2_GAIN)),
                m.get(block(i, LN2_BIAS)), m.get(block(i, W_1)),
                m.get(block(i, B_1)), m.get(block(i, W_2)),
                m.get(block(i, B_2)));
    }
}
