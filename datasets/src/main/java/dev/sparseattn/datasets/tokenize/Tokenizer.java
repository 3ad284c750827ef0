package dev.sparseattn.datasets.tokenize;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Turns text into token ids and back. Implementations are immutable, thread-safe and serializable
 * (Spark ships them to executors). Two ids are special in every tokenizer: {@link #padId()} fills the
 * tail of a short sequence and is never a training target, {@link #eosId()} ends every document.
 *
 * <p>{@link #describe()} is what a dataset's manifest stores; {@link Tokenizers#fromDescription}
 * rebuilds an equal tokenizer from it.
 */
public interface Tokenizer extends Serializable {

  /** The tokenizer's name in manifests and configs, e.g. {@code byte}. */
  String name();

  /** Number of distinct ids, specials included: every id is in {@code [0, vocabSize())}. */
  int vocabSize();

  /** The padding id. */
  int padId();

  /** The end-of-document id (document separator). */
  int eosId();

  /** The ids of {@code utf8[offset, offset+length)}, without EOS. Never fails on invalid UTF-8. */
  int[] encodeUtf8(byte[] utf8, int offset, int length);

  /**
   * Why this tokenizer refuses a document, or {@code null} when it encodes it. The pipeline asks before
   * encoding and quarantines refused documents with this reason; the byte tokenizer refuses nothing.
   * Reasons start with a short code, e.g. {@code "ambiguous-base: 'N' at 17"}.
   */
  default String reject(byte[] utf8, int offset, int length) {
    return null;
  }

  /** The ids of UTF-8 text, without EOS. */
  default int[] encodeUtf8(byte[] utf8) {
    return encodeUtf8(utf8, 0, utf8.length);
  }

  /** The ids of a string (encoded as UTF-8 first), without EOS. */
  default int[] encode(String text) {
    return encodeUtf8(text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The text of {@code ids[from, to)}. Never throws on content: invalid UTF-8 and unknown ids become
   * U+FFFD; how specials are rendered is up to the implementation and documented there.
   */
  String decode(int[] ids, int from, int to);

  /** The text of all {@code ids}; see {@link #decode(int[], int, int)}. */
  default String decode(int[] ids) {
    return decode(ids, 0, ids.length);
  }

  /**
   * A small JSON-friendly description for the manifest: at least {@code name}, {@code vocab_size},
   * {@code pad_id} and {@code eos_id}.
   */
  Map<String, Object> describe();
}
