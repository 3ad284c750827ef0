package dev.sparseattn.trainer.train;

import dev.sparseattn.datasets.tokenize.ByteTokenizer;
import dev.sparseattn.datasets.tokenize.NucleotideTokenizer;
import dev.sparseattn.datasets.tokenize.Tokenizer;
import java.util.Map;
import java.util.Optional;

/**
 * A tokenizer's native unit and how many of them a token adds, to turn the training job's bits per
 * token into bits per byte or per base: the byte tokenizer adds 1 byte per token; a nucleotide
 * tokenizer adds its stride in bases ({@link NucleotideTokenizer#basesPerToken()}: k for
 * non-overlapping k-mers, 1 for overlapping ones). BPE and time series have no fixed rate (the
 * {@code Evaluate} job decodes rows for exact bits per byte).
 *
 * @param unit {@code byte} or {@code base}
 * @param perToken units per token
 */
public record TokenUnits(String unit, int perToken) {

  /** The native unit of {@code tokenizer}'s tokens, if it has a fixed rate. */
  public static Optional<TokenUnits> of(Tokenizer tokenizer) {
    if (tokenizer instanceof NucleotideTokenizer n) {
      return Optional.of(new TokenUnits("base", n.basesPerToken()));
    }
    if (tokenizer instanceof ByteTokenizer) {
      return Optional.of(new TokenUnits("byte", 1));
    }
    return Optional.empty();
  }

  /** Bits per native unit of a figure in bits per token. */
  public double bitsPerUnit(double bitsPerToken) {
    return bitsPerToken / perToken;
  }

  /**
   * Adds {@code <split>_bits_per_<unit>} next to every {@code <split>_bits_per_token} figure of a
   * training summary, and {@code <unit>s_per_token}.
   */
  public void addTo(Map<String, Object> summary) {
    for (String split : new String[] {"train", "validation"}) {
      if (summary.get(split + "_bits_per_token") instanceof Number bits) {
        summary.put(split + "_bits_per_" + unit, bitsPerUnit(bits.doubleValue()));
      }
    }
    summary.put(unit + "s_per_token", perToken);
  }
}
