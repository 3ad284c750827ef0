package dev.sparseattn.trainer.model.layers;

import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Configuration of the LayerNorm after the last block (GPT-2's {@code ln_f}). Input and output
 * {@code [batch, L, dModel]}; parameters {@code g [dModel]} (gain), {@code b [dModel]} (bias).
 */
public class FinalLayerNorm extends TransformerLayerConf {

    /** For JSON deserialisation. */
    public FinalLayerNorm() {
    }

    public FinalLayerNorm(int dModel) {
        super(dModel);
    }

    @Override
    protected org.deeplearning4j.nn.api.Layer createLayer(NeuralNetConfiguration conf, DataType dataType) {
        return new FinalLayerNormLayer(conf, dataType);
    }

    @Override
    public ParamInitializer initializer() {
        return LayerNormParams.INSTANCE;
    }
}
