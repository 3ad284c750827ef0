package dev.sparseattn.pipeline;

/** How {@link PrepareCorpus} cuts documents out of its input files. */
public enum DocumentMode {
  /** Every line is one document (line terminators are not part of it). */
  LINE,
  /**
   * Every file is one document: its exact decompressed bytes. The whole file is one packing chunk, so
   * it must fit in a task's memory (this mode is for collections of many small or medium files).
   */
  FILE,
  /**
   * Every blank-line-separated block of lines is one document (its lines joined by newlines). Files
   * are read whole, one task each.
   */
  PARAGRAPH,
  /**
   * The lines that start in the same packing chunk of a file ({@code chunk-bytes}) form one document,
   * joined by newlines: contiguous text, assigned to a split and masked as a whole, for line-structured
   * text whose lines are too short to be documents of their own (verses, log lines). Read like {@link #LINE}.
   */
  CHUNK
}
