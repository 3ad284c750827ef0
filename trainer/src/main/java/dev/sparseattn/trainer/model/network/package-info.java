/**
 * The transformer language model network: its architecture ({@link dev.sparseattn.trainer.model.network.TransformerConfig})
 * and the whole model (embeddings, blocks, final LayerNorm, output projection and loss) as one DL4J output layer,
 * {@link dev.sparseattn.trainer.model.network.LmLayerConf} / {@link dev.sparseattn.trainer.model.network.LmLayer},
 * built by {@link dev.sparseattn.trainer.model.TransformerLM} for every configuration. One layer holding the whole
 * stack keeps training memory flat in depth when wanted (DL4J keeps every layer's input until backpropagation ends,
 * so recomputation has to happen inside one layer) and takes target ids as labels (no one-hot arrays).
 *
 * <p>The layer wires small named components, each with shape comments:
 * <ul>
 *   <li>{@code Embeddings}: token ids {@code [N]} to {@code [N, d]}, token table plus learned or axial (Reformer)
 *       positions ({@link dev.sparseattn.trainer.model.network.TransformerConfig.Positions});</li>
 *   <li>{@code BlockStack}: {@code [N, d]} to {@code [N, d]}, standard or reversible residual blocks (Gomez et al. 2017,
 *       "The Reversible Residual Network"; Kitaev et al. 2020, "Reformer: The Efficient Transformer") around
 *       {@link dev.sparseattn.trainer.model.blocks.AttentionBranch} (any attention pattern per layer, with the key
 *       padding mask) and a {@code ChunkedFeedForward} over {@link dev.sparseattn.trainer.model.blocks.FeedForwardBranch};
 *       with {@link dev.sparseattn.trainer.model.network.Backward#RECONSTRUCT} the backward pass rebuilds each block's
 *       inputs from its outputs, replaying dropout masks ({@code Dropout}, seeded) and LSH buckets;</li>
 *   <li>{@code LmHead}: {@code [N, d]} to the loss or probabilities: final LayerNorm, output projection (own or tied
 *       to the token table) and softmax cross-entropy in row chunks, never holding {@code [N, vocab]} logits in
 *       training;</li>
 *   <li>{@code LmParams}: the parameter layout; {@code Scopes}: the ND4J workspace scopes (per call, per block, per
 *       chunk) that release each block's temporaries before the next.</li>
 * </ul>
 */
package dev.sparseattn.trainer.model.network;
