package dev.sparseattn.pipeline;

import dev.sparseattn.datasets.read.CsvOptions;
import dev.sparseattn.datasets.config.Section;

/**
 * Reader settings of the record formats, from the {@code prepare.fasta} and {@code prepare.fastq}
 * sections (and {@code prepare.csv}, see {@link CsvOptions}).
 *
 * <pre>
 * fasta { window = 1024, stride = 1024 }         # bases per window [1, 16777216]; stride in [1, window]
 * fastq { headers = false, qualities = false }   # keep id lines / quality strings in metadata/
 * jsonl { text-field = "text" }                  # the document's field (dotted path for nested objects)
 * paragraph-max-bytes = 64 MiB                   # document = paragraph: longer blocks are quarantined
 * parquet { column = "text", id-column = "" }   # the document column (string); an id column for metadata/
 * split-size = 128 MiB                           # uncompressed FASTA, FASTQ, JSON lines, paragraphs: bytes per task
 * </pre>
 *
 * @param fasta FASTA windows
 * @param fastq FASTQ metadata
 * @param csv CSV time series
 * @param jsonTextField the text field of JSON lines
 * @param paragraphMaxBytes the longest paragraph document
 * @param parquet Parquet columns
 * @param splitSize bytes of an uncompressed file one task reads, for the formats that can be split
 *     ({@code dev.sparseattn.datasets.read.SplittableFormat}, {@code ScannedSplitFormat})
 */
public record FormatOptions(Fasta fasta, Fastq fastq, CsvOptions csv, String jsonTextField, int paragraphMaxBytes,
    Parquet parquet, long splitSize) {

  /** Parquet: the top-level string (or bytes) column holding documents, and an optional id column. */
  public record Parquet(String column, String idColumn) implements java.io.Serializable {}

  /** FASTA windows: {@code window} bases, the next one {@code stride} bases further. */
  public record Fasta(int window, int stride) {}

  /** What FASTQ keeps besides the bases, in the metadata table. */
  public record Fastq(boolean headers, boolean qualities) {}

  static FormatOptions parse(Section prepare) {
    Section fa = prepare.section("fasta");
    int window = fa.integer("window", 1024, 1, 1 << 24);
    int stride = fa.integer("stride", window, 1, 1 << 24);
    fa.check(stride <= window, "stride", "must not exceed fasta.window (" + window + "), got " + stride);
    Section fq = prepare.section("fastq");
    Fastq fastq = new Fastq(fq.bool("headers", false), fq.bool("qualities", false));
    CsvOptions csv = CsvOptions.parse(prepare.section("csv"))
        .withHeldOut(prepare.integer("validation-period", 0, 0, 100_000_000),
            prepare.integer("test-period", 0, 0, 100_000_000));
    Section js = prepare.section("jsonl");
    String field = js.string("text-field", "text");
    js.check(!field.isBlank() && !field.startsWith(".") && !field.endsWith("."), "text-field",
        "must be a field name or dotted path, got '" + field + "'");
    int paragraphMax = (int) prepare.bytes("paragraph-max-bytes", 64L << 20, 1L << 10, 1L << 30);
    Section pq = prepare.section("parquet");
    String column = pq.string("column", "text");
    pq.check(!column.isBlank(), "column", "must name the document column");
    Parquet parquet = new Parquet(column, pq.string("id-column", ""));
    long splitSize = prepare.bytes("split-size", 128L << 20, 1L << 10, 1L << 40);
    return new FormatOptions(new Fasta(window, stride), fastq, csv, field, paragraphMax, parquet, splitSize);
  }
}
