package dev.sparseattn.datasets.tokenize;

/**
 * What {@link NucleotideTokenizer} does with N and the other IUPAC ambiguity codes (R Y S W K M B D
 * H V): config values {@code token}, {@code split}, {@code reject}.
 */
public enum AmbiguityRule {
  /** Encode them: one token per code for single bases, one "ambiguous k-mer" token for k-mers. */
  TOKEN,
  /** Cut the sequence at them: the ambiguous runs are dropped and the pieces become separate documents (EOS between). */
  SPLIT,
  /** Refuse the document ({@link Tokenizer#reject}): the pipeline quarantines it. */
  REJECT
}
