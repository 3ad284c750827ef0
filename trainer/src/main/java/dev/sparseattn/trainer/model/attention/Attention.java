package dev.sparseattn.trainer.model.attention;

import dev.sparseattn.trainer.model.ops.Alloc;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Multi-head scaled dot-product attention, {@code softmax(Q K^T / sqrt(headDim) + M) V} (Vaswani et al. 2017,
 * "Attention Is All You Need", eq. 1), where the pattern {@code M} (0 or -infinity per query/key pair) is what
 * distinguishes implementations: dense causal now, sparse patterns later. The projections around it (fused QKV,
 * output) belong to the calling layer.
 *
 * <p>All arrays are {@code [batch, heads, seqLen, headDim]}; they may be strided views (e.g. of a fused QKV
 * projection). Any {@code seqLen} is accepted. An instance is stateful: {@link #forward} keeps what {@link #backward}
 * needs, so use one instance per layer and thread.
 */
public interface Attention {

    /**
     * Computes the attention output into {@code out}.
     *
     * @param q    queries  // [batch, heads, L, headDim]
     * @param k    keys     // [batch, heads, L, headDim]
     * @param v    values   // [batch, heads, L, headDim]
     * @param out  result   // [batch, heads, L, headDim], overwritten
     * @param keep where to allocate what backward needs; null for inference (nothing is kept). When non-null, the
     *             arrays q, k, v and out are retained by reference and must stay valid until {@link #backward}.
     */
    void forward(INDArray q, INDArray k, INDArray v, INDArray out, Alloc keep);

    /**
     * Gradients with respect to q, k and v, given the gradient with respect to the output of the preceding
     * {@link #forward} (which must have been called with a non-null {@code keep}).
     *
     * @param dOut gradient of out // [batch, heads, L, headDim]
     * @param dq   overwritten     // [batch, heads, L, headDim]
     * @param dk   overwritten     // [batch, heads, L, headDim]
     * @param dv   overwritten     // [batch, heads, L, headDim]
     */
    void backward(INDArray dOut, INDArray dq, INDArray dk, INDArray dv);

    /** Drops references kept for backward. */
    void clear();

    /**
     * Key padding mask of the following calls, {@code [batch, L]}: 1 for a real token, 0 for padding, which no query
     * attends to (a query with no real key in its pattern outputs 0); null for none. Queries at padded positions
     * are computed like any other (their outputs are the caller's to ignore).
     */
    default void setKeyMask(INDArray mask) {
        if (mask != null) {
            throw new UnsupportedOperationException(getClass().getSimpleName() + " has no key padding mask");
        }
    }

    /**
     * Document (segment) ids of the following calls, {@code [batch, L]} (any numbers; equal = same document); null
     * for none. Query {@code i} then attends key {@code j} only if {@code segments[b, i] == segments[b, j]}, in
     * addition to the pattern, causality and the key mask, in forward and backward. Global tokens are no exception:
     * a global query reads only its own document and a global key is read only by its own document. A query
     * without any allowed key outputs 0 (as with padding); patterns that contain the query itself (all but the
     * Sparse Transformer's summary columns, and LSH where a token sees itself when alone) always have one.
     */
    default void setSegments(INDArray segments) {
        if (segments != null) {
            throw new UnsupportedOperationException(getClass().getSimpleName() + " has no document mask");
        }
    }

    /**
     * Which draw of the pattern's random choices the following forwards use: that of layer {@code layer} at training
     * step {@code step}, or, for {@code step < 0} (inference: evaluation, decoding), the fixed draw of step 0. A
     * pure function of (seed, layer, step), so a recomputation and a resumed run draw the same. LSH draws its
     * rotations so (Reformer, Kitaev et al. 2020: afresh at every step, different per layer); other patterns ignore
     * it.
     */
    default void setDraw(int layer, long step) {
    }

    /**
     * Global tokens of each batch row of the following calls ({@code perRow[b]}: positions, negative = from the end,
     * outside the sequence ignored), in addition to the pattern's shared ones (Longformer's task-specific global
     * attention, e.g. the question tokens of each example); null for none. Only patterns with global tokens support
     * it.
     */
    default void setGlobalTokens(int[][] perRow) {
        if (perRow != null) {
            throw new UnsupportedOperationException(getClass().getSimpleName() + " has no global tokens");
        }
    }

    /**
     * The data-dependent choices of the last forward that a recomputation must repeat exactly, or null if the
     * pattern has none. LSH returns its bucket assignments: recomputing them from reconstructed inputs (a
     * reversible layer's backward) could flip a bucket on a rounding difference.
     */
    default INDArray choices() {
        return null;
    }

    /** Makes the next {@link #forward} reuse {@code choices} returned by {@link #choices()} after an earlier one. */
    default void replay(INDArray choices) {
        if (choices != null) {
            throw new UnsupportedOperationException(getClass().getSimpleName() + " has no choices to replay");
        }
    }
}
