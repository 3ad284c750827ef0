/**
 * Held-out evaluation against baselines: the {@link dev.sparseattn.trainer.eval.Evaluate} job scores a
 * trained model in bits per native unit (byte of text, base of DNA) next to a unigram model, order-k
 * Markov models with interpolated Witten-Bell smoothing ({@link dev.sparseattn.trainer.eval.MarkovModel})
 * and gzip, bzip2, xz and zstd ({@link dev.sparseattn.trainer.eval.Compressor}), all on exactly the target
 * units the model is scored on ({@link dev.sparseattn.trainer.eval.RowUnits},
 * {@link dev.sparseattn.trainer.eval.UnitCorpus}). The baselines are plain Java, no ND4J.
 * Forecast metrics and baselines for time series are in {@code forecast}.
 */
package dev.sparseattn.trainer.eval;
