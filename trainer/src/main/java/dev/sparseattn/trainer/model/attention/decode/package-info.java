/**
 * Incremental decoding caches, one per attention pattern and layer
 * ({@link dev.sparseattn.trainer.model.attention.decode.DecodeCaches#create}): a
 * {@link dev.sparseattn.trainer.model.attention.decode.DecodeCache} is prefilled from a full forward's keys and
 * values and then takes one token per batch row and step, returning what the pattern's full causal forward returns at
 * that position (LSH: over the prefix ending there; see
 * {@link dev.sparseattn.trainer.model.attention.decode.LshCache}). Each cache keeps only what later queries can
 * reach: the sliding window a ring of its reach plus the span up to the last global token, the fixed pattern its
 * current block and the summary cells.
 */
package dev.sparseattn.trainer.model.attention.decode;
