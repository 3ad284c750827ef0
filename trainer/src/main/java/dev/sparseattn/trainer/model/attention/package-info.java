/**
 * Multi-head attention kernels behind one interface, {@link dev.sparseattn.trainer.model.attention.Attention},
 * chosen per layer by an {@link dev.sparseattn.trainer.model.attention.AttentionSpec} through
 * {@link dev.sparseattn.trainer.model.attention.Attentions#create}:
 * <ul>
 *   <li>{@link dev.sparseattn.trainer.model.attention.DenseCausalAttention}: the dense reference (GPT-2);
 *       {@link dev.sparseattn.trainer.model.attention.MaskedDenseAttention}: dense under any explicit mask, the
 *       oracle every sparse pattern is tested against;</li>
 *   <li>{@link dev.sparseattn.trainer.model.attention.BlockBandAttention}: shared block machinery (queries in blocks,
 *       overlapping key blocks as a strided view, extra random-block and global-key columns, hand-written backward),
 *       O(L * w) time and memory; patterns on it:
 *       {@link dev.sparseattn.trainer.model.attention.SlidingWindowAttention} (Longformer: window, dilation per
 *       head, global tokens), {@link dev.sparseattn.trainer.model.attention.BigBirdAttention},
 *       {@link dev.sparseattn.trainer.model.attention.BlockLocalAttention} (Sparse Transformer fixed, first
 *       factor);</li>
 *   <li>{@link dev.sparseattn.trainer.model.attention.StridedColumnAttention} and
 *       {@link dev.sparseattn.trainer.model.attention.SummaryColumnAttention} (Sparse Transformer second factors),
 *       combined with the first factors by {@link dev.sparseattn.trainer.model.attention.HeadSplitAttention};</li>
 *   <li>{@link dev.sparseattn.trainer.model.attention.LshAttention} (Reformer).</li>
 * </ul>
 * Every kernel takes a key padding mask ({@link dev.sparseattn.trainer.model.attention.Attention#setKeyMask}); the
 * sliding window and BigBird also take global tokens per batch row
 * ({@link dev.sparseattn.trainer.model.attention.Attention#setGlobalTokens}).
 *
 * <p>Memory: the only score-sized array a sparse kernel keeps is its probabilities P; backward overwrites P with the
 * score gradients a chunk of rows at a time ({@link dev.sparseattn.trainer.model.attention.Views#chunkElements}),
 * masks stay at broadcastable shapes, and large temporaries are freed as soon as they are used (ND4J frees a buffer
 * only when its Java object is collected otherwise; closing a reshaped view frees nothing, so the owner is closed)
 * or taken from per-thread reusable buffers ({@link dev.sparseattn.trainer.model.attention.Scratch}: a fresh array
 * of tens of MB costs as much as the product that fills it).
 *
 * <p>All array work is ND4J operations that exist on every backend; Java loops run only over heads, batch rows (per-row
 * global tokens), hash rounds, global tokens, chunks of rows, or extra-block slots.
 */
package dev.sparseattn.trainer.model.attention;
