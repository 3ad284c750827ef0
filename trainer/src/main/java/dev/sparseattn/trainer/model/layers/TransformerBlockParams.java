package dev.sparseattn.trainer.model.layers;

import java.util.List;
import org.deeplearning4j.nn.conf.layers.Layer;

/**
 * Parameters of {@link TransformerBlock}, in layout order. Weights are {@code [in, out]} (applied as
 * {@code x W}); the columns of {@code Wqkv} are {@code [q | k | v]}, each split into heads of {@code headDim}
 * consecutive columns. (Keys contain no underscore: DL4J's updater splits {@code "<layer>_<key>"} at the last one.)
 */
public final class TransformerBlockParams extends ParamLayout {

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

    static final TransformerBlockParams INSTANCE = new TransformerBlockParams();

    @Override
    protected List<Spec> specs(Layer layer) {
        TransformerBlock c = (TransformerBlock) layer;
        long d = c.getDModel();
        long f = c.getFfnHidden();
        return List.of(
                gain(LN1_GAIN, d), bias(LN1_BIAS, d),
                weight(W_QKV, c.getInitStd(), d, 3 * d), bias(B_QKV, 3 * d),
                weight(W_O, c.getResidualInitStd(), d, d), bias(B_O, d),
                gain(LN2_GAIN, d), bias(LN2_BIAS, d),
                weight(W_1, c.getInitStd(), d, f), bias(B_1, f),
                weight(W_2, c.getResidualInitStd(), f, d), bias(B_2, d));
    }
}
