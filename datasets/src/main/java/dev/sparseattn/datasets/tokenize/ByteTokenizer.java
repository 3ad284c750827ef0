package dev.sparseattn.datasets.tokenize;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The byte-level tokenizer: ids 0..255 are the bytes of the UTF-8 text, {@value #PAD} is PAD and
 * {@value #EOS} is EOS (document separator); the vocabulary has {@value #VOCAB_SIZE} ids. Every byte
 * sequence encodes losslessly (invalid UTF-8 included), so a document's token count is its byte length.
 *
 * <p>Decoding: PAD is skipped, EOS is rendered as a newline ({@code '\n'}, so that decoding the
 * sequences of a one-document-per-line corpus gives back its lines), ids outside the vocabulary
 * become U+FFFD, and the bytes are then decoded as UTF-8 with malformed input replaced by U+FFFD
 * (never an exception).
 */
public final class ByteTokenizer implements Tokenizer {
  private static final long serialVersionUID = 1L;

  /** The name in manifests and configs. */
  public static final String NAME = "byte";
  /** The padding id. */
  public static final int PAD = 256;
  /** The end-of-document id. */
  public static final int EOS = 257;
  /** Bytes plus the two specials. */
  public static final int VOCAB_SIZE = 258;

  private static final byte[] REPLACEMENT = "\uFFFD".getBytes(StandardCharsets.UTF_8);

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int vocabSize() {
    return VOCAB_SIZE;
  }

  @Override
  public int padId() {
    return PAD;
  }

  @Override
  public int eosId() {
    return EOS;
  }

  @Override
  public int[] encodeUtf8(byte[] utf8, int offset, int length) {
    int[] ids = new int[length];
    for (int i = 0; i < length; i++) {
      ids[i] = utf8[offset + i] & 0xff;
    }
    return ids;
  }

  @Override
  public String decode(int[] ids, int from, int to) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(Math.max(0, to - from));
    for (int i = from; i < to; i++) {
      int id = ids[i];
      if (id >= 0 && id < 256) {
        bytes.write(id);
      } else if (id == EOS) {
        bytes.write('\n');
      } else if (id != PAD) {
        bytes.write(REPLACEMENT, 0, REPLACEMENT.length);
      }
    }
    // new String(..., UTF_8) replaces malformed input with U+FFFD; it never throws.
    return new String(bytes.toByteArray(), StandardCharsets.UTF_8);
  }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("name", NAME);
    d.put("vocab_size", VOCAB_SIZE);
    d.put("pad_id", PAD);
    d.put("eos_id", EOS);
    d.put("eos_decodes_as", "\n");
    return d;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ByteTokenizer;
  }

  @Override
  public int hashCode() {
    return NAME.hashCode();
  }

  @Override
  public String toString() {
    return "ByteTokenizer(vocab=" + VOCAB_SIZE + ", pad=" + PAD + ", eos=" + EOS + ")";
  }
}
