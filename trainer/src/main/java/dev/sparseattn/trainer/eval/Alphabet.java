package dev.sparseattn.trainer.eval;

import dev.sparseattn.datasets.config.DataError;
import dev.sparseattn.datasets.tokenize.AmbiguityRule;
import dev.sparseattn.datasets.tokenize.NucleotideTokenizer;
import java.util.Arrays;

/**
 * The native units of a dataset (bytes of text, bases of DNA) as the symbols of the baselines:
 * a unit is one byte of decoded text, {@link #code} maps it to a symbol {@code 0 .. size()-1}.
 * A document separator (EOS) is the unit {@code '\n'}, as the tokenizers decode it.
 *
 * @param unit what one unit is called in reports ({@code byte}, {@code base})
 * @param symbols the unit bytes, in symbol order
 */
public record Alphabet(String unit, byte[] symbols) {
  /** Every byte; text. */
  public static Alphabet bytes() {
    byte[] all = new byte[256];
    for (int i = 0; i < 256; i++) {
      all[i] = (byte) i;
    }
    return new Alphabet("byte", all);
  }

  /**
   * What a nucleotide tokenizer decodes to: {@code ACGT}, the IUPAC codes when they are tokens, lower
   * case when case is kept, and the newline of EOS (and of split ambiguous runs).
   */
  public static Alphabet nucleotides(NucleotideTokenizer.Options options) {
    String upper = "ACGT" + (options.ambiguous() == AmbiguityRule.TOKEN ? "NRYSWKMBDHV" : "");
    String letters = options.caseFold() ? upper : upper + upper.toLowerCase(java.util.Locale.ROOT);
    return new Alphabet("base", (letters + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
  }

  /** Number of symbols. */
  public int size() {
    return symbols.length;
  }

  /** The symbol codes of unit bytes; a byte outside the alphabet is a {@link DataError}. */
  public byte[] codes(byte[] units) {
    int[] table = new int[256];
    Arrays.fill(table, -1);
    for (int i = 0; i < symbols.length; i++) {
      table[symbols[i] & 0xff] = i;
    }
    byte[] codes = new byte[units.length];
    for (int i = 0; i < units.length; i++) {
      int c = table[units[i] & 0xff];
      if (c < 0) {
        throw new DataError("decoded " + unit + " 0x" + Integer.toHexString(units[i] & 0xff) + " at " + i
            + " is not in the " + unit + " alphabet of " + size() + " symbols");
      }
      codes[i] = (byte) c;
    }
    return codes;
  }
}
