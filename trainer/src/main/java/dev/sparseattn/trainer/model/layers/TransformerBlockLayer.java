package dev.sparseattn.trainer.model.layers;

import static dev.sparseattn.trainer.model.layers.TransformerBlockParams.B_1;
import static dev.sparseattn.trainer.model.layers.TransformerBlockParams.B_2;
import static dev.sparseattn.trainer.model.layers.TransformerBlockParams.B_O;
import static dev.sparseattn.trainer.model.layers.TransformerBlockParams.B_QKV;
import static dev.sparseattn.trainer.model.layers.TransformerBlockParams.LN1_BIAS;
import static dev.sparseattn.trainer.model.layers.TransformerBlockParams.LN1_GAIN;
import static dev.sparseattn.trainer.model.layers.TransformerBlockParams.LN2_BIAS;
import static dev.sparseattn.trainer.model.layers.TransformerBlockParams.LN2_GAIN;
import static dev.sparseattn.trainer.model.layers.TransformerBlockParams.W_1;
import static dev.sparseattn.trainer.model.layers.TransformerBlockParams.W_2;
import static dev.sparseattn.trainer.model.layers.TransformerBlockParams.W_O;
import static dev.sparseattn.trainer.model.layers.TransformerBlockParams.W_QKV;

import dev.sparseattn.trainer.model.attention.Attention;
import dev.sparseattn.trainer.model.attention.Attentions;
import dev.sparseattn.trainer.model.blocks.AttentionBranch;
import dev.sparseattn.trainer.model.blocks.FeedForwardBranch;
import dev.sparseattn.trainer.model.ops.Alloc;
import java.util.Map;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Runtime of {@link TransformerBlock}: {@code x1 = x + F(x)}, {@code y = x1 + G(x1)} with the
 * {@link AttentionBranch} F and the {@link FeedForwardBranch} G, over rows {@code N = batch * L}.
 * The features mask of the batch (DL4J's padding mask, {@code [batch, L]}) is the attention's key mask: no position
 * attends to padding. Backward uses what the training forward kept, under that forward's mask.
 */
public class TransformerBlockLayer extends AbstractTransformerLayer<TransformerBlock> {

    private final FeedForwardBranch feedForward = new FeedForwardBranch();
    private AttentionBranch attention;   // created on first use, from the configuration
    private boolean kept;                // the branches hold the state of a training forward pass

    public TransformerBlockLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    /** The attention kernel of this block, from its configuration's {@code AttentionSpec} (default dense causal). */
    protected Attention createAttention() {
        return Attentions.create(layerConf().attentionSpec(), layerConf().getNHeads());
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
        INDArray keyMask = paddingMask(batch, len);                                           // [batch, L] or null
        INDArray out = mgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, new long[] {batch, len, d}, 'c');
        try (MemoryWorkspace ignored = mgr.notifyScopeBorrowed(ArrayType.FF_WORKING_MEM)) {
            Alloc keep = training ? keepAlloc(mgr) : null;
            attention().setKeyMask(keyMask);       // padded keys are never attended; null clears an earlier mask
            Alloc work = work();
            INDArray x = contiguous(input).reshape('c', n, d);                                // [N, d]
            INDArray x1 = attention().forward(x, batch, len, attentionParams(params), work.create(n, d), keep, work)
                    .addi(x);                                                                 // x1 = x + F(x)
            feedForward.forward(x1, feedForwardParams(params), out.reshape('c', n, d), keep, work)
                    .addi(x1);                                                                // y = x1 + G(x1)
            kept = training;
        }
        return out;
    }

    @Override
    @SuppressWarnings("try")
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr mgr) {
        assertInputSet(true);
        if (!kept) {
            throw new IllegalStateException("backprop without a training forward pass " + layerId());
        }
        long batch = input.size(0);
        long len = input.size(1);
        long d = layerConf().getDModel();
        long n = batch * len;
        INDArray dx = mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, new long[] {batch, len, d}, 'c');
        try (MemoryWorkspace ignored = mgr.notifyScopeBorrowed(ArrayType.BP_WORKING_MEM)) {
            Alloc work = work();
            INDArray dy = contiguous(epsilon).reshape('c', n, d);                             // [N, d]
            INDArray dx1 = work.create(n, d);
            feedForward.backward(dy, feedForwardParams(params), feedForwardParams(gradientViews), dx1, work);
            dx1.addi(dy);                                                                     // residual
            INDArray dx0 = dx.reshape('c', n, d);
            attention().backward(dx1, attentionParams(params), attentionParams(gradientViews), dx0, work);
            dx0.addi(dx1);                                                                    // residual
        }
        return new Pair<>(gradientViews(), dx);
    }

    private AttentionBranch attention() {
        if (attention == null) {
            attention = new AttentionBranch(createAttention(), layerConf().getNHeads());
        }
        return attention;
    }

    private static AttentionBranch.Params attentionParams(Map<String, INDArray> m) {
        return new AttentionBranch.Params(m.get(LN1_GAIN), m.get(LN1_BIAS), m.get(W_QKV), m.get(B_QKV), m.get(W_O),
                m.get(B_O));
    }

    private static FeedForwardBranch.Params feedForwardParams(Map<String, INDArray> m) {
        return new FeedForwardBranch.Params(m.get(LN2_GAIN), m.get(LN2_BIAS), m.get(W_1), m.get(B_1), m.get(W_2),
                m.get(B_2));
    }

    @Override
    protected void clearCache() {
        kept = false;
        feedForward.clear();
        if (attention != null) {
            attention.clear();
        }
    }
}
