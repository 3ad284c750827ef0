/**
 * Incremental generation: {@link dev.sparseattn.trainer.generate.DecodeEngine} decodes several sequences of one model
 * together, one token at a time, each layer keeping its attention pattern's decode cache
 * ({@code model.attention.decode}); {@link dev.sparseattn.trainer.generate.Generator} samples text on it.
 */
package dev.sparseattn.trainer.generate;
