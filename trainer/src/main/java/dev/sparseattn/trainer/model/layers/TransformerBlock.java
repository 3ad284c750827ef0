package dev.sparseattn.trainer.model.layers;

import dev.sparseattn.trainer.model.attention.AttentionSpec;
import java.util.Objects;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Configuration of one pre-LayerNorm transformer block (GPT-2; Vaswani et al. 2017 with the norms moved in front):
 * <pre>
 *   x = x + Wo * Attention(LN1(x) * Wqkv)      // causal multi-head self-attention, fused QKV projection
 *   x = x + W2 * GELU(LN2(x) * W1)             // position-wise feed-forward network
 * </pre>
 * Input and output {@code [batch, L, dModel]}. Parameters, see {@link TransformerBlockParams}. The output
 * projections {@code Wo} and {@code W2} write into the residual stream and are initialised with
 * {@code residualInitStd} (GPT-2: {@code 0.02 / sqrt(2 * nLayers)}), the other weights with {@code initStd}.
 */
public class TransformerBlock extends TransformerLayerConf {

    private int nHeads;
    private int ffnHidden;
    private double initStd;
    private double residualInitStd;
    private String attention;   // AttentionSpec as JSON; null = dense causal

    /** For JSON deserialisation. */
    public TransformerBlock() {
    }

    public TransformerBlock(int dModel, int nHeads, int ffnHidden, double initStd, double residualInitStd) {
        super(dModel);
        if (nHeads < 1 || dModel % nHeads != 0) {
            throw new IllegalArgumentException("dModel (" + dModel + ") must be a multiple of nHeads (" + nHeads + ")");
        }
        this.nHeads = nHeads;
        this.ffnHidden = ffnHidden;
        this.initStd = initStd;
        this.residualInitStd = residualInitStd;
    }

    @Override
    protected org.deeplearning4j.nn.api.Layer createLayer(NeuralNetConfiguration conf, DataType dataType) {
        return new TransformerBlockLayer(conf, dataType);
    }

    @Override
    public ParamInitializer initializer() {
        return TransformerBlockParams.INSTANCE;
    }

    public int getNHeads() {
        return nHeads;
    }

    public void setNHeads(int nHeads) {
        this.nHeads = nHeads;
    }

    public int getFfnHidden() {
        return ffnHidden;
    }

    public void setFfnHidden(int ffnHidden) {
        this.ffnHidden = ffnHidden;
    }

    public double getInitStd() {
        return initStd;
    }

    public void setInitStd(double initStd) {
        this.initStd = initStd;
    }

    /** The attention pattern as JSON ({@link AttentionSpec#toJson()}); null for dense causal. */
    public String getAttention() {
        return attention;
    }

    public void setAttention(String attention) {
        this.attention = attention;
    }

    /** The attention pattern of this block. */
    public AttentionSpec attentionSpec() {
        return attention == null ? AttentionSpec.denseCausal() : AttentionSpec.fromJson(attention);
    }

    public void setAttentionSpec(AttentionSpec spec) {
        this.attention = spec == null || spec.equals(AttentionSpec.denseCausal()) ? null : spec.toJson();
    }

    public double getResidualInitStd() {
        return residualInitStd;
    }

    public void setResidualInitStd(double residualInitStd) {
        this.residualInitStd = residualInitStd;
    }

    @Override
    public boolean equals(Object o) {
        return super.equals(o) && o instanceof TransformerBlock that && nHeads == that.nHeads
                && ffnHidden == that.ffnHidden && initStd == that.initStd && residualInitStd == that.residualInitStd
                && Objects.equals(attention, that.attention);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), nHeads, ffnHidden, initStd, residualInitStd, attention);
    }
}
