/**
 * Spark ML entry point of the inference: {@link dev.sparseattn.trainer.infer.ml.SequenceScorer}, a {@code Transformer}
 * that adds bits, bits per unit and embedding columns to a DataFrame of raw text or sequences.
 */
package dev.sparseattn.trainer.infer.ml;
