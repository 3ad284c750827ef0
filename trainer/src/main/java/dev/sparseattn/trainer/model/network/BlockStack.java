package dev.sparseattn.trainer.model.network;

import dev.sparseattn.trainer.model.attention.Attention;
import dev.sparseattn.trainer.model.attention.Attentions;
import dev.sparseattn.trainer.model.blocks.AttentionBranch;
import dev.sparseattn.trainer.model.ops.Alloc;
import dev.sparseattn.trainer.model.attention.AttentionSpec;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The stack of pre-LayerNorm transformer blocks over rows {@code N = batch * L}, with attention branch F
 * ({@link AttentionBranch}, the pattern of each layer from the configuration) and feed-forward branch G
 * ({@link ChunkedFeedForward}), each followed by dropout {@code D} while training:
 * <pre>
 *   STANDARD:    x1 = x + D(F(x));       y = x1 + D(G(x1))                    output y
 *   REVERSIBLE:  y1 = x1 + D(F(x2));     y2 = x2 + D(G(y1))                   (Gomez et al. 2017; Kitaev et al. 2020)
 *                x1 = x2 = embedding;    output (y1 + y2) / 2
 * </pre>
 * The reversible stack starts from two copies of the embedding and ends with their average, so that at
 * initialisation (branches near 0) its output is the embedding, as for the standard stack; Reformer concatenates
 * instead, which would double the head's width.
 *
 * <p>A reversible stack with {@link Backward#RECONSTRUCT} keeps nothing per layer from the training forward but the
 * dropout counter and the attention's replay data ({@link Attention#choices()}, LSH buckets); its backward walks the
 * layers in reverse, recomputes each branch from the reconstructed inputs ({@code x2 = y2 - D(G(y1))},
 * {@code x1 = y1 - D(F(x2))}), backpropagates it and releases its memory before the next layer. With
 * {@link Backward#STORE} (and always for the standard stack) every layer keeps its activations in {@code keep}.
 *
 * <p>Padding: a key mask ({@code [batch, L]}, 1 = real token) goes to every layer's attention, so no position attends
 * to padding; the reconstructing backward recomputes each attention branch under the mask of its forward.
 */
final class BlockStack {

    private final TransformerConfig config;
    private final Backward backward;
    private final Dropout dropout;
    private final Attention[] kernels;
    private final AttentionBranch[] attention;
    private final ChunkedFeedForward[] feedForward;
    private final boolean[] detachedInference;  // run the kernel outside workspaces even without keep (see forward)
    private final INDArray[] choices;        // per layer: replay data of the last training forward (or null)
    private long counter = -1;               // dropout counter of the kept training forward, -1: none
    private long batch;
    private long len;
    private INDArray keyMask;                // padding mask of the kept training forward, [batch, L] (or null)
    private INDArray y1;                     // outputs of the last block (reversible), or the stream (standard)
    private INDArray y2;
    private INDArray[][] recorded;           // block inputs recorded for the reconstruction check, or null
    private double[] reconstructionErrors;

    BlockStack(TransformerConfig config, Backward backward) {
        this.config = config;
        this.backward = backward;
        this.dropout = new Dropout(config.dropout());
        int layers = config.nLayers();
        this.kernels = new Attention[layers];
        this.attention = new AttentionBranch[layers];
        this.feedForward = new ChunkedFeedForward[layers];
        this.choices = new INDArray[layers];
        this.detachedInference = new boolean[layers];
        // Reconstructing layers run one at a time, so layers of the same pattern share one kernel (and its reusable
        // buffers); stored activations need a kernel per layer.
        Map<AttentionSpec, Integer> first = new HashMap<>();
        for (int i = 0; i < layers; i++) {
            AttentionSpec spec = config.attentionFor(i);
            Integer owner = reconstructs() ? first.putIfAbsent(spec, i) : null;
            if (owner == null) {
                kernels[i] = Attentions.create(spec, config.nHeads());
                attention[i] = new AttentionBranch(kernels[i], config.nHeads());
                feedForward[i] = new ChunkedFeedForward(config.ffnChunk());
            } else {
                kernels[i] = kernels[owner];
                attention[i] = attention[owner];
                feedForward[i] = feedForward[owner];
            }
            detachedInference[i] = spec.kind() == AttentionSpec.Kind.LSH;
        }
        for (AttentionBranch branch : attention) {
            branch.rotary(config.positions() == TransformerConfig.Positions.ROTARY);
        }
    }

    private boolean reversible() {
        return config.residual() == TransformerConfig.Residual.REVERSIBLE;
    }

    private boolean reconstructs() {
        return reversible() && backward == Backward.RECONSTRUCT;
    }

    /**
     * Test hook: when on, the next training forward copies every block's inputs and the backward measures how far
     * the reconstructed inputs are from them ({@link #reconstructionErrors()}).
     */
    void recordInputs(boolean on) {
        recorded = on ? new INDArray[config.nLayers()][] : null;
    }

    /** The attention kernel of layer {@code layer} (shared by the layers of one pattern when reconstructing). */
    Attention kernel(int layer) {
        return kernels[layer];
    }

    /** Per layer, the largest absolute difference between reconstructed and recorded block inputs (x1 and x2). */
    double[] reconstructionErrors() {
        return reconstructionErrors;
    }

    /**
     * @param x        embeddings                                   // [N, d]
     * @param keyMask  padding mask of the keys                      // [batch, L], 1 = real token; null: none
     * @param training apply dropout and keep what {@link #backward} needs
     * @param step     dropout counter of a training forward (the network's iteration count, which a saved network
     *                 keeps, so a resumed run draws the same masks)
     * @param persist  allocation of arrays that outlive this call (the output, and kept state)
     * @return the final hidden states                               // [N, d], from persist
     */
    @SuppressWarnings("try")
    INDArray forward(INDArray x, long batch, long len, INDArray keyMask, Map<String, INDArray> params,
                     boolean training, long step, Alloc persist) {
        long n = x.size(0);
        long d = x.size(1);
        this.batch = batch;
        this.len = len;
        for (AttentionBranch branch : attention) {
            branch.setKeyMask(keyMask);            // null clears an earlier mask; unchanged masks cost nothing
        }
        long count = training ? step : -1;
        Alloc keep = training && !reconstructs() ? persist : null;
        INDArray a = persist.create(n, d).assign(x);
        INDArray b = reversible() ? persist.create(n, d).assign(x) : null;
        for (int i = 0; i < config.nLayers(); i++) {
            if (recorded != null && training) {
                recorded[i] = new INDArray[] {Scopes.detachedCopy(a), Scopes.detachedCopy(b)};
            }
            try (MemoryWorkspace ignored = Scopes.open(Scopes.BLOCK)) {
                Alloc work = Alloc.current(x.dataType());
                INDArray f = work.create(n, d);
                // LshAttention caches its rotations in whatever workspace its first forward runs in; a forward
                // without keep would leave them in this block's scope, outdated at the next call: keep it detached.
                kernels[i].setDraw(i, count);        // LSH: rotations of (layer, step); inference: fixed
                try (MemoryWorkspace detached = keep == null && detachedInference[i]
                        ? Nd4j.getMemoryManager().scopeOutOfWorkspaces() : null) {
                    attention[i].forward(reversible() ? b : a, batch, len, LmParams.attention(params, i), f, keep,
                            keep == null ? Alloc.current(x.dataType()) : work);
                }
                choices[i] = training ? kernels[i].choices() : null;
                applyMask(f, i, Dropout.ATTENTION, count);
                a.addi(f);                                                   // x1 = x + F(x)  |  y1 = x1 + F(x2)
                INDArray g = work.create(n, d);
                feedForward[i].forward(a, LmParams.feedForward(params, i), g, keep);
                applyMask(g, i, Dropout.FEED_FORWARD, count);
                (reversible() ? b : a).addi(g);                              // y = x1 + G(x1) |  y2 = x2 + G(y1)
            }
        }
        counter = training ? count : -1;
        this.keyMask = training ? keyMask : null;
        y1 = training ? a : null;
        y2 = training ? b : null;
        if (!reversible()) {
            return a;
        }
        return persist.create(n, d).assign(a).addi(b).muli(0.5);
    }

    /**
     * Backward of the preceding training {@link #forward}: overwrites the blocks' parameter gradients.
     *
     * @param dh      gradient of the final hidden states   // [N, d]
     * @param persist allocation of the result (outlives the per-layer scopes)
     * @return the gradient of the embeddings               // [N, d]
     */
    @SuppressWarnings("try")
    INDArray backward(INDArray dh, Map<String, INDArray> params, Map<String, INDArray> grads, Alloc persist) {
        if (counter < 0) {
            throw new IllegalStateException("backward needs a preceding training forward");
        }
        long n = dh.size(0);
        long d = dh.size(1);
        INDArray d1 = persist.create(n, d).assign(dh);
        INDArray d2 = null;
        if (reversible()) {
            d1.muli(0.5);                                                  // h = (y1 + y2) / 2
            d2 = persist.create(n, d).assign(d1);
            reconstructionErrors = recorded != null && reconstructs() ? new double[config.nLayers()] : null;
        }
        for (int i = config.nLayers() - 1; i >= 0; i--) {
            try (MemoryWorkspace ignored = Scopes.open(Scopes.BLOCK)) {
                Alloc work = Alloc.current(dh.dataType());
                if (reversible()) {
                    reversibleBackward(i, d1, d2, params, grads, work);
                } else {
                    standardBackward(i, d1, params, grads, work);
                }
            }
            attention[i].clear();
            feedForward[i].clear();
            choices[i] = null;
        }
        counter = -1;
        keyMask = null;
        y1 = null;
        y2 = null;
        recorded = null;
        return reversible() ? d1.addi(d2) : d1;                          // x1 = x2 = x
    }

    /** x1 = x + D(F(x)); y = x1 + D(G(x1)): dx1 = dy + G'^T D(dy); dx = dx1 + F'^T D(dx1). */
    private void standardBackward(int i, INDArray dy, Map<String, INDArray> params, Map<String, INDArray> grads,
                                  Alloc work) {
        long n = dy.size(0);
        long d = dy.size(1);
        INDArray tmp = work.create(n, d);
        feedForward[i].backward(masked(dy, i, Dropout.FEED_FORWARD), LmParams.feedForward(params, i),
                LmParams.feedForward(grads, i), tmp, work);
        dy.addi(tmp);
        attention[i].backward(masked(dy, i, Dropout.ATTENTION), LmParams.attention(params, i),
                LmParams.attention(grads, i), tmp, work);
        dy.addi(tmp);
    }

    /** Gomez et al. 2017, Algorithm 1, with dropout masks regenerated from their seeds. */
    private void reversibleBackward(int i, INDArray dy1, INDArray dy2, Map<String, INDArray> params,
                                    Map<String, INDArray> grads, Alloc work) {
        long n = dy1.size(0);
        long d = dy1.size(1);
        INDArray tmp = work.create(n, d);
        if (reconstructs()) {
            // y2 -> x2 = y2 - D(G(y1)); dy1 += G'^T D(dy2)
            feedForward[i].invertAndBackward(y1, y2, dy1, dy2, mask(i, Dropout.FEED_FORWARD, n, d),
                    LmParams.feedForward(params, i), LmParams.feedForward(grads, i), work);
            // y1 -> x1 = y1 - D(F(x2)), with F recomputed (under the forward's padding mask, replaying its choices)
            attention[i].setKeyMask(keyMask);
            kernels[i].setDraw(i, counter);
            kernels[i].replay(choices[i]);
            INDArray f = attention[i].forward(y2, batch, len, LmParams.attention(params, i), work.create(n, d),
                    work, work);
            applyMask(f, i, Dropout.ATTENTION, counter);
            y1.subi(f);
            if (reconstructionErrors != null) {
                reconstructionErrors[i] = Math.max(maxAbsDiff(y1, recorded[i][0]), maxAbsDiff(y2, recorded[i][1]));
            }
        } else {
            feedForward[i].backward(masked(dy2, i, Dropout.FEED_FORWARD), LmParams.feedForward(params, i),
                    LmParams.feedForward(grads, i), tmp, work);
            dy1.addi(tmp);                                                   // dz1 = dy1 + G'^T D(dy2)
        }
        attention[i].backward(masked(dy1, i, Dropout.ATTENTION), LmParams.attention(params, i),
                LmParams.attention(grads, i), tmp, work);
        dy2.addi(tmp);                                                       // dx2 = dy2 + F'^T D(dz1); dx1 = dz1
    }

    /** Drops the state of a training forward (when no backward follows). */
    void clearTrainingState() {
        counter = -1;
        keyMask = null;
        y1 = null;
        y2 = null;
        for (int i = 0; i < attention.length; i++) {
            attention[i].clear();
            feedForward[i].clear();
            choices[i] = null;
        }
    }

    private INDArray mask(int layer, int branch, long n, long d) {
        return dropout.mask(Dropout.seed(config.seed(), layer, branch, counter), n, d, y1.dataType());
    }

    /** Applies the dropout mask of (layer, branch, count) to a branch output in place; nothing when not training. */
    private void applyMask(INDArray out, int layer, int branch, long count) {
        if (count >= 0 && dropout.active()) {
            out.muli(dropout.mask(Dropout.seed(config.seed(), layer, branch, count), out.size(0), out.size(1),
                    out.dataType()));
        }
    }

    /** {@code D(g)}: the gradient through the dropout of (layer, branch) of the kept forward. */
    private INDArray masked(INDArray g, int layer, int branch) {
        INDArray m = mask(layer, branch, g.size(0), g.size(1));
        return m == null ? g : m.muli(g);
    }

    private static double maxAbsDiff(INDArray a, INDArray b) {
        return a.sub(b).amaxNumber().doubleValue();
    }
}
