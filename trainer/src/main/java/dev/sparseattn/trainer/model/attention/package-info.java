/**
 * Multi-head attention kernels behind one interface, {@link dev.sparseattn.trainer.model.attention.Attention}.
 * {@link dev.sparseattn.trainer.model.attention.DenseCausalAttention} is the reference every sparse pattern
 * (sliding window, global tokens, strided/fixed, BigBird, LSH) is to be checked against.
 */
package dev.sparseattn.trainer.model.attention;
