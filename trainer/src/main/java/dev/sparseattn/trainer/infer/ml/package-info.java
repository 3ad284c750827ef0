/**
 * Spark ML entry points of the inference, {@code Transformer}s over a trained model that append columns to a
 * DataFrame: {@link dev.sparseattn.trainer.infer.ml.SequenceScorer} (bits, bits per unit and embeddings of raw text or
 * sequences) and {@link dev.sparseattn.trainer.infer.ml.SequenceForecaster} (forecast median and deciles of series
 * contexts), sharing their model, input and reason params and schema check through {@code ModelColumnTransformer}.
 */
package dev.sparseattn.trainer.infer.ml;
