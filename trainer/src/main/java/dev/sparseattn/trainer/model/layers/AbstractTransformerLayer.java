package dev.sparseattn.trainer.model.layers;

import dev.sparseattn.trainer.model.ops.Alloc;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.BaseLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;

/**
 * Runtime base of the transformer layers: parameter/gradient access by key, workspace-aware allocation, and the
 * DL4J plumbing these layers share. Subclasses implement {@code activate} and {@code backpropGradient} and keep
 * what backward needs in fields, which {@link #clearCache()} drops.
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
                    + java.util.Arrays.toString(x.shape()) + " " + layerId());
        }
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
