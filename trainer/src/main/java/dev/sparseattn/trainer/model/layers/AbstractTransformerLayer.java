package dev.sparseattn.trainer.model.layers;

import dev.sparseattn.trainer.model.ops.Alloc;
import java.util.Arrays;
import org.deeplearning4j.exception.DL4JInvalidInputException;
import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.BaseLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;

/**
 * Runtime base of the transformer layers: parameter/gradient access by key, workspace-aware allocation, and the
 * DL4J plumbing these layers share. Subclasses implement {@code activate} and {@code backpropGradient} and keep
 * what backward needs in fields, which {@link #clearCache()} drops.
 *
 * <p>Padding: DL4J hands the features mask of a batch ({@code [batch, L]}, 1 = real token, 0 = padding) to every
 * layer through {@link #feedForwardMaskArray} before the forward pass, and removes it with
 * {@code setMaskArray(null)} ({@code MultiLayerNetwork.clearLayerMaskArrays}) or {@link #clear()}. These layers keep
 * it as {@link #maskArray} and pass it on unchanged (positions are the same in every layer); the attention blocks
 * exclude padded keys with it ({@link #paddingMask}).
 */
public abstract class AbstractTransformerLayer<C extends TransformerLayerConf> extends BaseLayer<C> {

    protected AbstractTransformerLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    /** Drops the state kept from the last training forward pass. */
    protected abstract void clearCache();

    protected INDArray param(String key) {
        return params.get(key);
    }

    protected INDArray gradView(String key) {
        return gradientViews.get(key);
    }

    /**
     * Allocation for what backward needs, during training: DL4J's activations workspace, which stays open from the
     * forward pass until backpropagation is done.
     */
    protected Alloc keepAlloc(LayerWorkspaceMgr mgr) {
        DataType type = dataType;
        return shape -> mgr.createUninitialized(ArrayType.ACTIVATIONS, type, shape, 'c');
    }

    /** Temporaries, in the current workspace. */
    protected Alloc work() {
        return Alloc.current(dataType);
    }

    /** {@code x} as a c-ordered array with default strides in the network's data type (a copy if needed). */
    protected INDArray contiguous(INDArray x) {
        if (x.dataType() != dataType) {
            return x.castTo(dataType).dup('c');
        }
        if (x.ordering() != 'c' || !Shape.hasDefaultStridesForShape(x)) {
            return x.dup('c');
        }
        return x;
    }

    /** Gradient object mapping each parameter key (in layout order) to its gradient view. */
    protected Gradient gradientViews() {
        Gradient g = new DefaultGradient();
        for (String key : params.keySet()) {
            g.gradientForVariable().put(key, gradientViews.get(key));
        }
        return g;
    }

    /** Dropout and weight noise are not implemented by these layers; fail instead of silently ignoring them. */
    protected void checkSupported() {
        if (layerConf().getIDropout() != null) {
            throw new UnsupportedOperationException("dropout is not supported by " + layerId());
        }
        if (layerConf().getWeightNoise() != null) {
            throw new UnsupportedOperationException("weight noise is not supported by " + layerId());
        }
    }

    protected void checkInput3d(INDArray x) {
        if (x.rank() != 3 || x.size(2) != layerConf().getDModel()) {
            throw new IllegalArgumentException("expected input [batch, L, " + layerConf().getDModel() + "], got "
                    + Arrays.toString(x.shape()) + " " + layerId());
        }
    }

    /**
     * Keeps the features (padding) mask {@code [batch, L]} for the next forward pass and passes it on unchanged;
     * null removes it.
     *
     * @throws DL4JInvalidInputException if the mask is not {@code [minibatch, L]}
     */
    @Override
    public Pair<INDArray, MaskState> feedForwardMaskArray(INDArray mask, MaskState state, int minibatchSize) {
        checkMaskRows(mask, minibatchSize);
        return super.feedForwardMaskArray(mask, state, minibatchSize);
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

    /** The features mask of the current input {@code [batch, len]}, checked against its shape; null when none. */
    protected INDArray paddingMask(long batch, long len) {
        return checkMask(maskArray, batch, len);
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
