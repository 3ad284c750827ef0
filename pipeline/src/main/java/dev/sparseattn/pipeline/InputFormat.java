package dev.sparseattn.pipeline;

/** The kind of input files (config key {@code prepare.format}). */
public enum InputFormat {
  /** Text: a document per line, per file or per paragraph ({@code prepare.document}). */
  TEXT,
  /** JSON lines: a document per line, the string at {@code prepare.jsonl.text-field}. */
  JSONL,
  /** FASTA sequences, streamed in windows ({@code prepare.fasta}). */
  FASTA,
  /** FASTQ reads: a document per read ({@code prepare.fastq}). */
  FASTQ,
  /** CSV time series, windows of time steps ({@code prepare.csv}). */
  CSV,
  /** Parquet: a document per row, the string column {@code prepare.parquet.column}, a task per row group. */
  PARQUET
}
