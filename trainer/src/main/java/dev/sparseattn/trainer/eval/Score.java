package dev.sparseattn.trainer.eval;

/**
 * One row of an evaluation: a method and its held-out cross-entropy (or compressed size) in bits per
 * native unit.
 *
 * @param method what was measured, e.g. {@code order-3 Markov (Witten-Bell)}, {@code xz -6}
 * @param kind {@code model}, {@code unigram}, {@code markov} or {@code compressor}
 * @param order the Markov order, -1 for other kinds
 * @param bitsPerUnit bits per byte (text) or per base (genome)
 */
public record Score(String method, String kind, int order, double bitsPerUnit) {}
