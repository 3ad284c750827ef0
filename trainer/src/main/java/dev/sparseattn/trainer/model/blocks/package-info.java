/**
 * The two residual branches of a pre-LayerNorm transformer block, as functions with forward and backward:
 * {@link dev.sparseattn.trainer.model.blocks.AttentionBranch} {@code F(x)} and
 * {@link dev.sparseattn.trainer.model.blocks.FeedForwardBranch} {@code G(x)}. A standard block computes
 * {@code x1 = x + F(x); y = x1 + G(x1)}; a reversible block (Gomez et al. 2017; Kitaev et al. 2020, "Reformer")
 * can reuse the same branches as {@code y1 = x1 + F(x2); y2 = x2 + G(y1)}.
 *
 * <p>Rows are positions ({@code N = batch * L}). A branch keeps what its backward needs in the arrays allocated by
 * the {@code keep} allocator passed to {@code forward} (null: inference, nothing kept).
 */
package dev.sparseattn.trainer.model.blocks;
