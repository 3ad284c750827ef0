package dev.sparseattn.trainer.model.layers;

import static dev.sparseattn.trainer.model.layers.LayerNormParams.BIAS;
import static dev.sparseattn.trainer.model.layers.LayerNormParams.GAIN;

import dev.sparseattn.trainer.model.ops.Alloc;
import dev.sparseattn.trainer.model.ops.LayerNorm;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Runtime of {@link FinalLayerNorm}: {@link LayerNorm} over the features of every position. A features (padding)
 * mask is passed on unchanged: padded positions are normalised like any other, and the loss ignores them.
 */
public class FinalLayerNormLayer extends AbstractTransformerLayer<FinalLayerNorm> {

    private INDArray xhat;   // [N, d]
    private INDArray rstd;   // [N, 1]

    public FinalLayerNormLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    @Override
    @SuppressWarnings("try")   // the workspace scope is entered for its side effect
    public INDArray activate(boolean training, LayerWorkspaceMgr mgr) {
        assertInputSet(false);
        checkSupported();
        checkInput3d(input);
        long batch = input.size(0);
        long len = input.size(1);
        long d = layerConf().getDModel();
        long n = batch * len;
        INDArray out = mgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, new long[] {batch, len, d}, 'c');
        try (MemoryWorkspace ignored = mgr.notifyScopeBorrowed(ArrayType.FF_WORKING_MEM)) {
            Alloc keep = training ? keepAlloc(mgr) : work();
            INDArray x = contiguous(input).reshape('c', n, d);                  // [N, d]
            INDArray xh = keep.create(n, d);
            INDArray rs = keep.create(n, 1);
            LayerNorm.forward(x, param(GAIN), param(BIAS), out.reshape('c', n, d), xh, rs);
            xhat = training ? xh : null;
            rstd = training ? rs : null;
        }
        return out;
    }

    @Override
    @SuppressWarnings("try")
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr mgr) {
        assertInputSet(true);
        if (xhat == null) {
            throw new IllegalStateException("backprop without a training forward pass " + layerId());
        }
        long batch = input.size(0);
        long len = input.size(1);
        long d = layerConf().getDModel();
        long n = batch * len;
        INDArray dx = mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, new long[] {batch, len, d}, 'c');
        try (MemoryWorkspace ignored = mgr.notifyScopeBorrowed(ArrayType.BP_WORKING_MEM)) {
            INDArray dy = contiguous(epsilon).reshape('c', n, d);               // [N, d]
            LayerNorm.backward(dy, xhat, rstd, param(GAIN), dx.reshape('c', n, d), gradView(GAIN), gradView(BIAS));
        }
        return new Pair<>(gradientViews(), dx);
    }

    @Override
    protected void clearCache() {
        xhat = null;
        rstd = null;
    }
}
