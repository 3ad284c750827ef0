package dev.sparseattn.pipeline;

/** What happens to a text record that is not valid UTF-8 (config key {@code prepare.invalid-utf8}). */
public enum InvalidUtf8 {
  /** Write it to the quarantine table instead of the shards. */
  QUARANTINE,
  /** Replace each malformed sequence by U+FFFD and emit it (counted as repaired). */
  REPLACE,
  /** Emit the bytes unchanged (the byte tokenizer encodes any bytes losslessly). */
  KEEP
}
