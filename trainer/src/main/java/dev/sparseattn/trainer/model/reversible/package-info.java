/**
 * The fused transformer language model: the whole network (embeddings, blocks, final LayerNorm, output projection
 * and loss) as one DL4J output layer, {@link dev.sparseattn.trainer.model.reversible.FusedLM}, so that training
 * memory can stay flat in depth. DL4J keeps every layer's input until backpropagation ends, so recomputation has to
 * happen inside one layer.
 *
 * <ul>
 *   <li>{@code Embeddings}: token embedding plus learned or axial (Reformer) positions;</li>
 *   <li>{@code BlockStack}: standard or reversible residual blocks (Gomez et al. 2017, "The Reversible Residual
 *       Network"; Kitaev et al. 2020, "Reformer: The Efficient Transformer") around the existing
 *       {@link dev.sparseattn.trainer.model.blocks.AttentionBranch} with any attention pattern per layer and a
 *       {@code ChunkedFeedForward} over {@link dev.sparseattn.trainer.model.blocks.FeedForwardBranch}; with
 *       {@link dev.sparseattn.trainer.model.reversible.Backward#RECONSTRUCT} the backward pass rebuilds each block's
 *       inputs from its outputs, replaying dropout masks ({@code Dropout}, seeded) and LSH buckets;</li>
 *   <li>{@code LmHead}: final LayerNorm, output projection (own or tied to the token table) and softmax
 *       cross-entropy in row chunks, never holding {@code [N, vocab]} logits in training;</li>
 *   <li>{@code Scopes}: the ND4J workspace scopes (per call, per block, per chunk) that release each block's
 *       temporaries before the next.</li>
 * </ul>
 * {@link dev.sparseattn.trainer.model.TransformerLM} builds this network for every configuration that is not the
 * classic one; {@link dev.sparseattn.trainer.model.reversible.FusedNetworks} builds it directly (also with
 * {@link dev.sparseattn.trainer.model.reversible.Backward#STORE}, for comparisons).
 */
package dev.sparseattn.trainer.model.reversible;
