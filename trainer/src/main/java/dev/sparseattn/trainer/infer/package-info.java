/**
 * Inference at corpus scale on Spark: the {@code score} job ({@link dev.sparseattn.trainer.infer.Score}: bits per
 * token and per native unit, optionally a per-token surprisal track, of every sequence of a prepared dataset) and the
 * {@code embed} job ({@link dev.sparseattn.trainer.infer.Embed}: mean and last final hidden state), both with the model
 * loaded once per executor JVM ({@link dev.sparseattn.trainer.infer.ModelCache}) and checked against the dataset
 * before any Spark job ({@link dev.sparseattn.trainer.infer.ModelFit}); the Spark ML entry point is in
 * {@code infer.ml}.
 */
package dev.sparseattn.trainer.infer;
