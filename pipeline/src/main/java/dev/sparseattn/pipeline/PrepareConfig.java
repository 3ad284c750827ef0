package dev.sparseattn.pipeline;

import dev.sparseattn.datasets.read.CsvOptions;
import com.typesafe.config.Config;
import dev.sparseattn.datasets.config.ResolvedConfig;
import dev.sparseattn.datasets.config.Section;
import dev.sparseattn.datasets.fs.HadoopPaths;
import java.util.List;

/**
 * The {@code prepare} section: what {@link PrepareCorpus} reads, how it packs, where it writes.
 * Locations follow {@link HadoopPaths#resolve}: relative paths are local files relative to the
 * working directory, anything with a scheme ({@code hdfs://...}) is used as given.
 *
 * <pre>
 * prepare {
 *   input = ["data/sample/kjv-sample.txt.gz"]   # Hadoop paths or globs (files or directories); .gz/.bz2 decompressed
 *   output = "work/quickstart/data"             # dataset directory (Hadoop path)
 *   tokenizer = byte                            # byte | nucleotide | time-series | bpe
 *   document = line                             # line | file | paragraph | chunk
 *   seq-len = 256                               # L: rows hold L + 1 ids        [8, 65536]
 *   validation-fraction = 0.05                  # share of documents held out   [0, 0.5] (not csv)
 *   test-fraction = 0                           # share of documents in the test split [0, 0.5] (not csv);
 *                                               # validation + test at most 0.5
 *   validation-period = 0                       # csv: last steps of every series held out (by time)
 *   test-period = 0                             # csv: the steps after those, the test split
 *   chunk-bytes = 4 MiB                         # packing unit within a file    [1 KiB, 1 GiB]
 *   rows-per-shard = 4096                       # rows per Parquet file         [1, 10000000]
 *   shard-bytes = 0                             # if set (e.g. "128 MiB"): target file size instead;
 *                                               # rows per shard estimated from the data (ShardSizing)
 *   segment-ids = true                          # write segment_ids (document index per position)
 *   seed = 0                                    # of the train/validation assignment
 *   format = text                               # text | fasta | fastq | csv
 *   strict = false                              # fail on the first bad record instead of quarantining it
 *   invalid-utf8 = quarantine                   # text records that are not UTF-8: quarantine | replace | keep
 *   control-chars = quarantine                  # C0 controls (backspace, bell): quarantine (as binary, above
 *                                               # 5% of a record) | strip | keep; see ControlChars
 *   fasta { ... }, fastq { ... }                # see FormatOptions
 *   csv { ... }                                 # see CsvOptions
 *   nucleotide { ... }, time-series { ... }     # see TokenizerOptions
 *   bpe { vocab-size = 8000, ... }              # see TokenizerOptions
 *   overwrite = false                           # replace an existing dataset at output
 *   spark { master = "local[*]", app-name = "sparseattn-prepare" }  # master only if spark.master is unset
 * }
 * </pre>
 *
 * @param input resolved input paths or globs, in order
 * @param output resolved output directory
 * @param resolved every key as read, defaults included (written to {@code output/prepare.conf})
 */
public record PrepareConfig(
    List<String> input,
    String output,
    TokenizerChoice tokenizer,
    DocumentMode document,
    int seqLen,
    double validationFraction,
    double testFraction,
    long chunkBytes,
    int rowsPerShard,
    long shardBytes,
    boolean segmentIds,
    long seed,
    boolean overwrite,
    SparkOptions spark,
    InputFormat format,
    RecordPolicy records,
    FormatOptions formats,
    TokenizerOptions tokenizerOptions,
    ResolvedConfig resolved) {

  /** The config section this record is read from. */
  public static final String SECTION = "prepare";

  /**
   * Spark settings of the job.
   *
   * @param master used only when {@code spark.master} is not already set (e.g. by spark-submit)
   * @param appName the application name
   */
  public record SparkOptions(String master, String appName) {}

  /**
   * What happens to bad input records.
   *
   * @param strict fail the job on the first bad record (with its source, position and reason) instead
   *     of quarantining it
   * @param invalidUtf8 the policy for text records that are not valid UTF-8
   * @param controlChars the policy for control characters in text records
   */
  public record RecordPolicy(boolean strict, InvalidUtf8 invalidUtf8, ControlChars controlChars) {
    /** The default control-character policy ({@link ControlChars#QUARANTINE}). */
    public RecordPolicy(boolean strict, InvalidUtf8 invalidUtf8) {
      this(strict, invalidUtf8, ControlChars.QUARANTINE);
    }
  }

  /** The configured tokenizer (not for trained ones: see {@link TokenizerChoice#trained()}). */
  public dev.sparseattn.datasets.tokenize.Tokenizer createTokenizer() {
    return tokenizer.create(tokenizerOptions);
  }

  /** Reads and validates the {@code prepare} section; every problem is a ConfigError naming its key. */
  public static PrepareConfig parse(Config root) {
    Section s = new Section(root, SECTION);
    List<String> input = s.strings("input");
    s.check(input.stream().noneMatch(String::isBlank), "input", "must not contain empty paths");
    String output = s.string("output");
    s.check(!output.isBlank(), "output", "must not be empty");
    TokenizerChoice tokenizer = s.choice("tokenizer", TokenizerChoice.class, TokenizerChoice.BYTE);
    DocumentMode document = s.choice("document", DocumentMode.class, DocumentMode.LINE);
    int seqLen = s.integer("seq-len", 256, 8, 65536);
    double validationFraction = s.number("validation-fraction", 0.05, 0.0, 0.5);
    double testFraction = s.number("test-fraction", 0.0, 0.0, 0.5);
    long chunkBytes = s.bytes("chunk-bytes", 4L << 20, 1L << 10, 1L << 30);
    int rowsPerShard = s.integer("rows-per-shard", 4096, 1, 10_000_000);
    long shardBytes = s.bytes("shard-bytes", 0, 0, 16L << 30);
    boolean segmentIds = s.bool("segment-ids", true);
    long seed = s.longValue("seed", 0, Long.MIN_VALUE, Long.MAX_VALUE);
    boolean overwrite = s.bool("overwrite", false);
    Section sp = s.section("spark");
    SparkOptions spark = new SparkOptions(sp.string("master", "local[*]"), sp.string("app-name", "sparseattn-prepare"));
    InputFormat format = s.choice("format", InputFormat.class, InputFormat.TEXT);
    RecordPolicy records = new RecordPolicy(s.bool("strict", false),
        s.choice("invalid-utf8", InvalidUtf8.class, InvalidUtf8.QUARANTINE),
        s.choice("control-chars", ControlChars.class, ControlChars.QUARANTINE));
    FormatOptions formats = FormatOptions.parse(s);
    if (format == InputFormat.CSV) {
      s.check(!formats.csv().timeColumn().isBlank(), "csv.time-column", "is required for format = csv");
      s.check(!formats.csv().valueColumns().isEmpty(), "csv.value-columns",
          "must list the numeric columns for format = csv");
      s.check(validationFraction == 0 || !s.has("validation-fraction"), "validation-fraction",
          "format = csv is split by time: set prepare.validation-period (the steps held out at the end of every"
              + " series) instead, or validation-fraction = 0");
      s.check(testFraction == 0, "test-fraction",
          "format = csv is split by time: set prepare.test-period (the steps after the validation period) instead");
    } else {
      s.check(formats.csv().validationPeriod() == 0, "validation-period",
          "applies to format = csv only (other formats are split by document with validation-fraction)");
      s.check(formats.csv().testPeriod() == 0, "test-period",
          "applies to format = csv only (other formats hold out a test split with test-fraction)");
      s.check(validationFraction + testFraction <= 0.5, "test-fraction", "validation-fraction + test-fraction must"
          + " be at most 0.5, got " + validationFraction + " + " + testFraction);
    }
    int variables = formats.csv().layout() == CsvOptions.Layout.SEPARATE ? 1 : Math.max(1, formats.csv().variables());
    TokenizerOptions tokenizerOptions = TokenizerOptions.parse(s, variables, formats.csv().window());
    s.finish();
    return new PrepareConfig(input.stream().map(HadoopPaths::resolve).toList(), HadoopPaths.resolve(output),
        tokenizer, document, seqLen, validationFraction, testFraction, chunkBytes, rowsPerShard, shardBytes, segmentIds, seed, overwrite, spark,
        format, records, formats, tokenizerOptions, s.resolved());
  }
}
