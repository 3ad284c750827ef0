package dev.sparseattn.trainer.model.network;

import java.util.Arrays;
import org.deeplearning4j.exception.DL4JInvalidInputException;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.BaseLayer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The DL4J plumbing of {@link LmLayer}: gradient views by key, mask shape checks, and the layer type. The subclass
 * implements the forward and backward passes and keeps what backward needs, which {@link #clearCache()} drops.
 */
abstract class LmLayerBase extends BaseLayer<LmLayerConf> {

    protected LmLayerBase(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    /** Drops the state kept from the last training forward pass. */
    protected abstract void clearCache();

    protected INDArray gradView(String key) {
        return gradientViews.get(key);
    }

    /** Gradient object mapping each parameter key (in layout order) to its gradient view. */
    protected Gradient gradientViews() {
        Gradient g = new DefaultGradient();
        for (String key : params.keySet()) {
            g.gradientForVariable().put(key, gradientViews.get(key));
        }
        return g;
    }

    /** DL4J's layer dropout and weight noise are not implemented (the model has its own dropout): fail clearly. */
    protected void checkSupported() {
        if (layerConf().getIDropout() != null) {
            throw new UnsupportedOperationException("DL4J layer dropout is not supported by " + layerId()
                    + "; use the model's dropout (TransformerConfig.dropout)");
        }
        if (layerConf().getWeightNoise() != null) {
            throw new UnsupportedOperationException("weight noise is not supported by " + layerId());
        }
    }

    /**
     * Checks that a features mask (if any) is {@code [minibatch, L]}.
     *
     * @throws DL4JInvalidInputException otherwise, e.g. for a per-output mask {@code [batch, L, d]}
     */
    protected void checkMaskRows(INDArray mask, int minibatchSize) {
        if (mask != null && (mask.rank() != 2 || mask.size(0) != minibatchSize)) {
            throw new DL4JInvalidInputException("expected a features mask [" + minibatchSize + ", L] (1 = token, "
                    + "0 = padding), got " + Arrays.toString(mask.shape()) + " " + layerId());
        }
    }

    /**
     * {@code mask} ({@code [batch, len]}, or null) after checking its shape against the input's.
     *
     * @throws DL4JInvalidInputException if the shapes differ (e.g. a mask left from another batch)
     */
    protected INDArray checkMask(INDArray mask, long batch, long len) {
        if (mask != null && (mask.rank() != 2 || mask.size(0) != batch || mask.size(1) != len)) {
            throw new DL4JInvalidInputException("features mask " + Arrays.toString(mask.shape())
                    + " does not match the input [batch, L] = [" + batch + ", " + len + "] " + layerId());
        }
        return mask;
    }

    @Override
    public boolean isPretrainLayer() {
        return false;
    }

    @Override
    public Type type() {
        return Type.RECURRENT;
    }

    @Override
    public void clear() {
        super.clear();
        clearCache();
    }
}
