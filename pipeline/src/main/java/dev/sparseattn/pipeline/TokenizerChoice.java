package dev.sparseattn.pipeline;

import dev.sparseattn.datasets.tokenize.BpeTokenizer;
import dev.sparseattn.datasets.tokenize.ByteTokenizer;
import dev.sparseattn.datasets.tokenize.NucleotideTokenizer;
import dev.sparseattn.datasets.tokenize.TimeSeriesTokenizer;
import dev.sparseattn.datasets.tokenize.Tokenizer;
import dev.sparseattn.datasets.tokenize.Tokenizers;

/** The tokenizers a preparation can use (config key {@code prepare.tokenizer}). */
public enum TokenizerChoice {
  /** {@link ByteTokenizer}: UTF-8 bytes plus PAD and EOS. */
  BYTE,
  /** {@link NucleotideTokenizer}: bases or k-mers ({@code prepare.nucleotide}). */
  NUCLEOTIDE,
  /** {@link TimeSeriesTokenizer}: scaled, quantised values ({@code prepare.time-series}). */
  TIME_SERIES,
  /** {@link BpeTokenizer}: byte-level BPE trained on the inputs first ({@code prepare.bpe}). */
  BPE;

  /** Whether the tokenizer is learned from the inputs before preparing. */
  public boolean trained() {
    return this == BPE;
  }

  /** A new tokenizer of this kind with default settings (not for {@link #BPE}). */
  public Tokenizer create() {
    return Tokenizers.byName(this == TIME_SERIES ? TimeSeriesTokenizer.NAME : name().toLowerCase(java.util.Locale.ROOT));
  }

  /** A new tokenizer of this kind with the configured settings. */
  public Tokenizer create(TokenizerOptions options) {
    return switch (this) {
      case BYTE -> new ByteTokenizer();
      case NUCLEOTIDE -> new NucleotideTokenizer(options.nucleotide());
      case TIME_SERIES -> new TimeSeriesTokenizer(options.timeSeries());
      case BPE -> throw new IllegalStateException("a BPE tokenizer is trained on the inputs, not created");
    };
  }
}
