package dev.sparseattn.trainer.infer;

import dev.sparseattn.datasets.config.DataError;
import dev.sparseattn.datasets.config.Section;
import dev.sparseattn.datasets.fs.HadoopPaths;
import dev.sparseattn.datasets.read.FastaReader;
import dev.sparseattn.datasets.read.FastqReader;
import dev.sparseattn.datasets.read.JsonLinesReader;
import dev.sparseattn.datasets.read.ParagraphReader;
import dev.sparseattn.datasets.read.RecordFormat;
import dev.sparseattn.datasets.read.TextLinesReader;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Raw input files for {@code score} and {@code embed} (instead of a prepared dataset): Hadoop paths or globs on any
 * file system, read on the executors with the {@code datasets/read} record readers (the prepare job's), decompressed
 * by extension ({@code .gz}, {@code .bz2}); each document is tokenized with the model's own tokenizer.
 *
 * @param paths resolved paths or globs (files, or directories whose visible files are read)
 * @param format how documents are cut out of a file
 * @param textField JSON lines: the (dotted) field holding a document's text
 * @param maxRecordBytes text, paragraph: a longer record is quarantined ({@code too-long})
 * @param fastaWindow FASTA: bases per document (a sequence is cut into windows)
 * @param fastaStride FASTA: bases between window starts
 */
public record RawInput(List<String> paths, Format format, String textField, int maxRecordBytes, int fastaWindow,
                       int fastaStride) implements Serializable {

  /** The raw formats (key {@code format}). */
  public enum Format {
    /** A document per line; blank lines skipped. */
    TEXT,
    /** A document per blank-line-separated block of lines. */
    PARAGRAPH,
    /** JSON lines, the document at {@code text-field}. */
    JSONL,
    /** FASTA sequences, in windows of {@code fasta-window} bases. */
    FASTA,
    /** FASTQ reads, a document per read. */
    FASTQ
  }

  /**
   * Reads the raw-input keys of {@code s} ({@code input}, {@code format}, {@code text-field}, {@code max-record-bytes},
   * {@code fasta-window}, {@code fasta-stride}); null when {@code input} is not set.
   */
  static RawInput parse(Section s) {
    List<String> input = s.strings("input", List.of());
    Format format = s.choice("format", Format.class, Format.TEXT);
    String field = s.string("text-field", "text");
    int maxBytes = (int) s.bytes("max-record-bytes", 64L << 20, 1L << 10, 1L << 30);
    int window = s.integer("fasta-window", 1024, 1, 1 << 24);
    int stride = s.integer("fasta-stride", window, 1, 1 << 24);
    if (input.isEmpty()) {
      return null;
    }
    return new RawInput(input.stream().map(HadoopPaths::resolve).toList(), format, field, maxBytes, window, stride);
  }

  /** The reader of one file. */
  RecordFormat reader() {
    return switch (format) {
      case TEXT -> new TextLinesReader(maxRecordBytes);
      case PARAGRAPH -> new ParagraphReader(maxRecordBytes);
      case JSONL -> new JsonLinesReader(textField);
      case FASTA -> new FastaReader(fastaWindow, fastaStride, false);
      case FASTQ -> new FastqReader(false, false, false);
    };
  }

  /**
   * Fails, naming {@code key} (the section's {@code format} key), when the model's tokenizer cannot read this format:
   * FASTA and FASTQ need a DNA tokenizer, text formats a text one; time-series models take no raw text.
   */
  void checkTokenizer(Map<String, Object> tokenizer, String key) {
    String name = String.valueOf(tokenizer.get("name"));
    boolean dna = format == Format.FASTA || format == Format.FASTQ;
    boolean fits = dna ? name.equals("nucleotide") : name.equals("byte") || name.equals("bpe");
    if (!fits) {
      throw new DataError(key + ": format " + format.name().toLowerCase(java.util.Locale.ROOT)
          + " does not fit the model's tokenizer '" + name + "' (" + (dna ? "DNA needs 'nucleotide'"
          : "text needs 'byte' or 'bpe'") + ")");
    }
  }

  /** The input files, expanded on the driver (globs, directories), sorted, as qualified URIs. */
  List<String> files(Configuration conf, String key) throws IOException {
    List<String> out = new ArrayList<>();
    for (String p : paths) {
      Path path = new Path(p);
      FileSystem fs = path.getFileSystem(conf);
      FileStatus[] matched = fs.globStatus(path);
      if (matched == null || matched.length == 0) {
        throw new DataError(key + ": no input at " + p);
      }
      for (FileStatus st : matched) {
        if (st.isDirectory()) {
          for (FileStatus f : fs.listStatus(st.getPath())) {
            String n = f.getPath().getName();
            if (f.isFile() && !n.startsWith("_") && !n.startsWith(".")) {
              out.add(fs.makeQualified(f.getPath()).toString());
            }
          }
        } else {
          out.add(fs.makeQualified(st.getPath()).toString());
        }
      }
    }
    if (out.isEmpty()) {
      throw new DataError(key + ": no input files in " + paths);
    }
    return out.stream().distinct().sorted().toList();
  }
}
