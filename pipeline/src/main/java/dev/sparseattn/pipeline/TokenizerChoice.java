package dev.sparseattn.pipeline;

import dev.sparseattn.datasets.tokenize.ByteTokenizer;
import dev.sparseattn.datasets.tokenize.Tokenizer;

/** The tokenizers a preparation can use (config key {@code prepare.tokenizer}). */
public enum TokenizerChoice {
  /** {@link ByteTokenizer}: UTF-8 bytes plus PAD and EOS. */
  BYTE;

  /** A new tokenizer of this kind. */
  public Tokenizer create() {
    return switch (this) {
      case BYTE -> new ByteTokenizer();
    };
  }
}
