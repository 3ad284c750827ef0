package dev.sparseattn.trainer.model.layers;

import java.util.List;
import org.deeplearning4j.nn.conf.layers.Layer;

/** Parameters of {@link FinalLayerNorm}: gain {@code g [d]} (init 1) and bias {@code b [d]} (init 0). */
public final class LayerNormParams extends ParamLayout {

    public static final String GAIN = "g";
    public static final String BIAS = "b";

    static final LayerNormParams INSTANCE = new LayerNormParams();

    @Override
    protected List<Spec> specs(Layer layer) {
        int d = ((TransformerLayerConf) layer).getDModel();
        return List.of(gain(GAIN, d), bias(BIAS, d));
    }
}
