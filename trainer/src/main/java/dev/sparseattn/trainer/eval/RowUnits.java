package dev.sparseattn.trainer.eval;

import dev.sparseattn.datasets.config.DataError;
import dev.sparseattn.datasets.tokenize.BpeTokenizer;
import dev.sparseattn.datasets.tokenize.ByteLevel;
import dev.sparseattn.datasets.tokenize.ByteTokenizer;
import dev.sparseattn.datasets.tokenize.NucleotideTokenizer;
import dev.sparseattn.datasets.tokenize.Tokenizer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Turns a packed row's token ids back into native units, so that a model's bits per token become bits
 * per byte or per base, and the baselines see exactly the text the model is scored on.
 *
 * <ul>
 *   <li>byte tokenizer: ids 0..255 are the bytes, PAD is dropped, EOS becomes {@code '\n'} (one unit:
 *       the document separator a compressor or Markov model would also have to code);
 *   <li>BPE: each id's bytes, EOS {@code '\n'}; a model's bits per byte is then its total bits over the
 *       total bytes of the decoded targets;
 *   <li>nucleotide tokenizer: the tokenizer's own decoding (k-mers, overlapping or not; EOS
 *       {@code '\n'}), so a non-overlapping k-mer is k bases and an overlapping one adds one base.
 * </ul>
 */
public abstract class RowUnits {
  /** The units' alphabet. */
  public abstract Alphabet alphabet();

  /**
   * The units of {@code tokens[0, n)} (the row's non-PAD ids); the first {@link Decoded#context()} of
   * them come from {@code tokens[0]}, which is context only, the rest from the targets
   * {@code tokens[1, n)}.
   */
  public abstract Decoded decode(int[] tokens, int n);

  /** A decoded row. */
  public record Decoded(byte[] units, int context) {}

  /** The units of a tokenizer; time series have none (they are scored by forecast metrics). */
  public static RowUnits of(Tokenizer tokenizer) {
    if (tokenizer instanceof ByteTokenizer || tokenizer instanceof BpeTokenizer) {
      return new TextUnits(tokenizer);
    }
    if (tokenizer instanceof NucleotideTokenizer n) {
      return new BaseUnits(n);
    }
    throw new DataError("bits per native unit needs a text or genome dataset; tokenizer '"
        + tokenizer.name() + "' has no byte or base units");
  }

  private static final class TextUnits extends RowUnits {
    private final Tokenizer tokenizer;
    private final byte[][] pieces;

    TextUnits(Tokenizer tokenizer) {
      this.tokenizer = tokenizer;
      pieces = new byte[tokenizer.vocabSize()][];
      for (int id = 0; id < pieces.length; id++) {
        if (id == tokenizer.eosId()) {
          pieces[id] = new byte[] {'\n'};
        } else if (id == tokenizer.padId()) {
          pieces[id] = new byte[0];
        } else if (tokenizer instanceof BpeTokenizer bpe) {
          pieces[id] = ByteLevel.toBytes(bpe.tokenString(id));
        } else {
          pieces[id] = new byte[] {(byte) id};
        }
      }
    }

    @Override
    public Alphabet alphabet() {
      return Alphabet.bytes();
    }

    @Override
    public Decoded decode(int[] tokens, int n) {
      ByteArrayOutputStream out = new ByteArrayOutputStream(n * 2);
      int context = 0;
      for (int i = 0; i < n; i++) {
        int id = tokens[i];
        if (id < 0 || id >= pieces.length) {
          throw new DataError("token id " + id + " outside the " + tokenizer.name() + " vocabulary");
        }
        out.writeBytes(pieces[id]);
        if (i == 0) {
          context = out.size();
        }
      }
      return new Decoded(out.toByteArray(), context);
    }
  }

  private static final class BaseUnits extends RowUnits {
    private final NucleotideTokenizer tokenizer;
    private final Alphabet alphabet;

    BaseUnits(NucleotideTokenizer tokenizer) {
      this.tokenizer = tokenizer;
      this.alphabet = Alphabet.nucleotides(tokenizer.options());
    }

    @Override
    public Alphabet alphabet() {
      return alphabet;
    }

    @Override
    public Decoded decode(int[] tokens, int n) {
      // Decoding appends text token by token, so the targets' bases are what follows tokens[0]'s.
      String all = tokenizer.decode(tokens, 0, n);
      int context = n == 0 ? 0 : tokenizer.decode(tokens, 0, 1).length();
      return new Decoded(all.getBytes(StandardCharsets.US_ASCII), context);
    }
  }
}
