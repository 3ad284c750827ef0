/**
 * Small differentiable operations with hand-written forward and backward passes in ND4J array ops
 * (no SameDiff): {@link dev.sparseattn.trainer.model.ops.Linear}, {@link dev.sparseattn.trainer.model.ops.LayerNorm},
 * {@link dev.sparseattn.trainer.model.ops.Gelu}.
 *
 * <p>The ops are stateless functions on caller-provided arrays: the caller (a DL4J layer) decides which arrays live
 * in which workspace, so what the backward pass needs can be kept in DL4J's activations workspace while temporaries
 * stay in the per-layer working memory. Rows are positions ({@code N = batch * seqLen}), columns are features;
 * all outputs must be c-ordered and contiguous. Temporaries are allocated in the current workspace.
 */
package dev.sparseattn.trainer.model.ops;
