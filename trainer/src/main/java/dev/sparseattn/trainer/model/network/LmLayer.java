package dev.sparseattn.trainer.model.network;

import dev.sparseattn.trainer.model.ops.Alloc;
import dev.sparseattn.trainer.model.ops.StepTimer;
import java.util.Arrays;
import java.util.List;
import org.deeplearning4j.exception.DL4JInvalidInputException;
import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Runtime of {@link LmLayerConf}: wires the named components to DL4J ({@link Embeddings} {@code ids -> x},
 * {@link BlockStack} {@code x -> h}, {@link LmHead} {@code h -> loss or probabilities}). DL4J drives it as an output layer: {@code backpropGradient(null)} runs the training
 * forward, the loss and the whole backward in one go (and remembers the score), {@code computeScore} returns that
 * score or, when called on its own (e.g. {@code MultiLayerNetwork.score(DataSet)}), runs a forward and the loss;
 * {@code activate} gives the next-token probabilities. Each call works in its own workspace scope
 * ({@link Scopes#CALL}), with each block's temporaries in a nested scope released before the next block.
 *
 * <p>Masks: DL4J's labels mask ({@code setMaskArray}, the layer's {@code maskArray}) excludes padded targets from the
 * loss; its features mask ({@link #feedForwardMaskArray}, {@code [batch, L]}, 1 = real token) is the key mask of
 * every block's attention, so no position attends to padding, in every forward and in the reconstructing backward.
 */
public class LmLayer extends LmLayerBase implements IOutputLayer {

    private Embeddings embeddings;
    private BlockStack stack;
    private LmHead head;
    private INDArray labels;
    private INDArray featuresMask;     // [batch, L] padding mask of the input, or null
    private Double pendingScore;       // score of the last backprop, consumed by computeScore

    public LmLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    private TransformerConfig model() {
        return layerConf().model();
    }

    /** The block stack (for tests of the reconstruction). */
    BlockStack stack() {
        if (stack == null) {
            stack = new BlockStack(model(), layerConf().getBackward());
            embeddings = new Embeddings(model());
            head = new LmHead(model().tiedEmbeddings(), model().lossChunk());
        }
        return stack;
    }

    @Override
    @SuppressWarnings("try")
    public INDArray activate(boolean training, LayerWorkspaceMgr mgr) {
        assertInputSet(false);
        checkSupported();
        long batch = input.size(0);
        long len = input.size(1);
        long vocab = model().vocabSize();
        INDArray out = mgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, new long[] {batch, len, vocab}, 'c');
        try (MemoryWorkspace ignored = Scopes.open(Scopes.CALL)) {
            INDArray h = hidden(tokenIds(), batch, len, inputMask(), false);
            head.probabilities(h, headParams(params), out.reshape('c', batch * len, vocab));
        }
        return out;
    }

    /**
     * Final hidden states {@code [N, d]} of token ids {@code [N]} (int32), in the current workspace, with padded keys
     * ({@code keyMask} {@code [batch, L]} 0; null: none) excluded from attention.
     */
    private INDArray hidden(INDArray ids, long batch, long len, INDArray keyMask, boolean training) {
        stack();
        Alloc here = Scopes.here(dataType);
        INDArray x = here.create(batch * len, model().dModel());
        embeddings.forward(ids, batch, len, params, x);
        return stack.forward(x, batch, len, keyMask, params, training, getIterationCount(), here);
    }

    @Override
    @SuppressWarnings("try")
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr mgr) {
        assertInputSet(true);
        checkSupported();
        if (epsilon != null) {
            throw new IllegalArgumentException("the language model is an output layer: no epsilon expected " + layerId());
        }
        long batch = input.size(0);
        long len = input.size(1);
        long n = batch * len;
        try (StepTimer.Span timed = StepTimer.open(StepTimer.Section.LAYER_OTHER);
             MemoryWorkspace ignored = Scopes.open(Scopes.CALL)) {
            INDArray ids = tokenIds();
            INDArray h = hidden(ids, batch, len, inputMask(), true);
            Alloc here = Scopes.here(dataType);
            INDArray dh = here.create(n, model().dModel());
            LmHead.Params grads = headParams(gradientViews);
            grads.w().assign(0.0);
            // DL4J's convention: the gradient of the summed loss; the updater divides it by the minibatch size
            double loss = head.loss(h, targets(n), mask(n), 1.0, headParams(params), null, grads, dh);
            if (!model().tiedEmbeddings()) {
                gradView(LmParams.TOKEN).assign(0.0);
            }
            INDArray dx = stack.backward(dh, params, gradientViews, here);
            embeddings.backward(dx, ids, batch, len, gradientViews);
            pendingScore = loss / batch;
        }
        return new Pair<>(gradientViews(), null);
    }

    @Override
    @SuppressWarnings("try")
    public double computeScore(double fullNetRegScore, boolean training, LayerWorkspaceMgr mgr) {
        if (pendingScore != null) {
            score = pendingScore + fullNetRegScore;
            pendingScore = null;
            return score;
        }
        assertInputSet(false);
        long batch = input.size(0);
        long n = batch * input.size(1);
        try (MemoryWorkspace ignored = Scopes.open(Scopes.CALL)) {
            INDArray h = hidden(tokenIds(), batch, input.size(1), inputMask(), training);
            score = head.loss(h, targets(n), mask(n), 1.0, headParams(params), null, null, null) / batch
                    + fullNetRegScore;
        }
        stack.clearTrainingState();
        return score;
    }

    @Override
    @SuppressWarnings("try")
    public INDArray computeScoreForExamples(double fullNetRegTermL1, LayerWorkspaceMgr mgr) {
        assertInputSet(false);
        long batch = input.size(0);
        long len = input.size(1);
        return tokenNats().sum(true, 1).addi(fullNetRegTermL1);
    }

    /**
     * Per-target negative log-likelihood (nats) of the input and labels set, 0 at masked targets, {@code [batch, L]}:
     * what {@link #computeScoreForExamples} sums per row (the same computation, so the sums agree exactly).
     */
    @SuppressWarnings("try")
    public INDArray tokenNats() {
        assertInputSet(false);
        long batch = input.size(0);
        long len = input.size(1);
        INDArray perRow = Nd4j.create(dataType, batch * len, 1);
        try (MemoryWorkspace ignored = Scopes.open(Scopes.CALL)) {
            INDArray h = hidden(tokenIds(), batch, len, inputMask(), false);
            head.loss(h, targets(batch * len), mask(batch * len), 1.0, headParams(params), perRow, null, null);
        }
        return perRow.reshape(batch, len);
    }

    /**
     * Final hidden states after the final LayerNorm (what the output projection reads), {@code [batch, L, d]},
     * outside every workspace, of token ids {@code ids [batch, L]} with padded keys ({@code keyMask [batch, L]} 0, or
     * null for none) excluded from attention: the inference forward, read only.
     */
    @SuppressWarnings("try")
    public INDArray finalHiddenStates(INDArray ids, INDArray keyMask) {
        setInput(ids, LayerWorkspaceMgr.noWorkspaces());
        long batch = ids.size(0);
        long len = ids.size(1);
        long d = model().dModel();
        INDArray out = Nd4j.create(dataType, batch * len, d);                           // [N, d]
        try (MemoryWorkspace ignored = Scopes.open(Scopes.CALL)) {
            INDArray h = hidden(tokenIds(), batch, len, checkMask(keyMask, batch, len), false);
            LmHead.Params p = headParams(params);
            dev.sparseattn.trainer.model.ops.LayerNorm.forward(h, p.lnGain(), p.lnBias(), out,
                    Nd4j.createUninitialized(dataType, new long[] {batch * len, d}, 'c'),
                    Nd4j.createUninitialized(dataType, new long[] {batch * len, 1}, 'c'));
        } finally {
            clear();
        }
        return out.reshape(batch, len, d);
    }

    /**
     * Log-probabilities of the next token after {@code ids} ({@code [1, L]}), from the last position, in double.
     */
    @SuppressWarnings("try")
    public double[] nextTokenLogProbs(INDArray ids) {
        setInput(ids, LayerWorkspaceMgr.noWorkspaces());
        long len = ids.size(1);
        try (MemoryWorkspace ignored = Scopes.open(Scopes.CALL)) {
            INDArray h = hidden(tokenIds(), 1, len, null, false);
            INDArray last = h.getRow(len - 1).reshape(1, -1).castTo(DataType.DOUBLE);   // [1, d]
            INDArray lastNorm = last.ulike();
            LmHead.Params p = headParams(params);
            dev.sparseattn.trainer.model.ops.LayerNorm.forward(last, p.lnGain().castTo(DataType.DOUBLE),
                    p.lnBias().castTo(DataType.DOUBLE), lastNorm, last.ulike(), Nd4j.create(DataType.DOUBLE, 1, 1));
            INDArray w = p.w().castTo(DataType.DOUBLE);
            INDArray logits = model().tiedEmbeddings() ? lastNorm.mmul(w.transpose()) : lastNorm.mmul(w);
            logits.addiRowVector(p.b().castTo(DataType.DOUBLE));
            double max = logits.maxNumber().doubleValue();
            double logSumExp = max + Math.log(Transforms.exp(logits.sub(max), false).sumNumber().doubleValue());
            return logits.subi(logSumExp).toDoubleVector();
        } finally {
            clear();
        }
    }

    private LmHead.Params headParams(java.util.Map<String, INDArray> m) {
        INDArray w = model().tiedEmbeddings() ? m.get(LmParams.TOKEN) : m.get(LmParams.HEAD_W);
        return new LmHead.Params(m.get(LmParams.LNF_GAIN), m.get(LmParams.LNF_BIAS), w,
                m.get(LmParams.HEAD_B));
    }

    /** The input token ids as a flat int32 vector, validated against the vocabulary and the sequence length. */
    private INDArray tokenIds() {
        if (input.rank() != 2) {
            throw new DL4JInvalidInputException("expected token ids [batch, L], got "
                    + Arrays.toString(input.shape()) + " " + layerId());
        }
        if (input.size(1) > model().seqLen()) {
            throw new DL4JInvalidInputException("sequence length " + input.size(1) + " exceeds seqLen "
                    + model().seqLen() + " " + layerId());
        }
        return checkIds(input.dup('c').reshape(input.length()).castTo(DataType.INT32), "token ids");
    }

    /** The target ids {@code [N]} from the labels {@code [batch, L]}. */
    private INDArray targets(long n) {
        if (labels == null) {
            throw new IllegalStateException("no labels set " + layerId());
        }
        if (labels.rank() != 2 || labels.length() != n) {
            throw new DL4JInvalidInputException("expected target ids [batch, L] like the input "
                    + Arrays.toString(input.shape()) + ", got labels " + Arrays.toString(labels.shape()) + " "
                    + layerId());
        }
        return checkIds(labels.dup('c').reshape(n).castTo(DataType.INT32), "target ids");
    }

    private INDArray checkIds(INDArray ids, String what) {
        int min = ids.minNumber().intValue();
        int max = ids.maxNumber().intValue();
        if (min < 0 || max >= model().vocabSize()) {
            throw new DL4JInvalidInputException(what + " must be in [0, " + model().vocabSize() + "), got ["
                    + min + ", " + max + "] " + layerId());
        }
        return ids;
    }

    /** The features (padding) mask of the input, {@code [batch, L]} checked against it, or null. */
    private INDArray inputMask() {
        return checkMask(featuresMask, input.size(0), input.size(1));
    }

    /** The labels mask as {@code [N, 1]}, or null. */
    private INDArray mask(long n) {
        return maskArray == null ? null : maskArray.dup('c').reshape(n, 1);
    }

    /**
     * Keeps DL4J's features (padding) mask {@code [batch, L]} for the attention (null removes it). The last layer:
     * nothing is passed on.
     */
    @Override
    public Pair<INDArray, MaskState> feedForwardMaskArray(INDArray mask, MaskState state, int minibatchSize) {
        checkMaskRows(mask, minibatchSize);
        featuresMask = mask;
        return null;
    }

    /**
     * The labels mask of the loss ({@code [batch, L]}); null, as DL4J's {@code clearLayerMaskArrays} sets, removes
     * the features mask too.
     */
    @Override
    public void setMaskArray(INDArray mask) {
        super.setMaskArray(mask);
        if (mask == null) {
            featuresMask = null;
        }
    }

    @Override
    public void setInput(INDArray input, LayerWorkspaceMgr workspaceMgr) {
        pendingScore = null;
        super.setInput(input, workspaceMgr);
    }

    @Override
    public boolean needsLabels() {
        return true;
    }

    @Override
    public void setLabels(INDArray labels) {
        this.labels = labels;
    }

    @Override
    public INDArray getLabels() {
        return labels;
    }

    @Override
    protected void clearCache() {
        pendingScore = null;
        featuresMask = null;
        if (stack != null) {
            stack.clearTrainingState();
        }
    }

    @Override
    public double f1Score(DataSet data) {
        throw unsupported();
    }

    @Override
    public double f1Score(INDArray examples, INDArray labels) {
        throw unsupported();
    }

    @Override
    public int numLabels() {
        return model().vocabSize();
    }

    @Override
    public void fit(DataSetIterator iter) {
        throw unsupported();
    }

    @Override
    public int[] predict(INDArray examples) {
        throw unsupported();
    }

    @Override
    public List<String> predict(DataSet dataSet) {
        throw unsupported();
    }

    @Override
    public void fit(INDArray examples, INDArray labels) {
        throw unsupported();
    }

    @Override
    public void fit(DataSet data) {
        throw unsupported();
    }

    @Override
    public void fit(INDArray examples, int[] labels) {
        throw unsupported();
    }

    private UnsupportedOperationException unsupported() {
        return new UnsupportedOperationException("train and evaluate the language model through its MultiLayerNetwork "
                + layerId());
    }
}
