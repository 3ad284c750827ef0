package dev.sparseattn.pipeline;

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
 *   tokenizer = byte                            # byte
 *   document = line                             # line | file
 *   seq-len = 256                               # L: rows hold L + 1 ids        [8, 65536]
 *   validation-fraction = 0.05                  # share of sequences held out   [0, 0.5]
 *   chunk-bytes = 4 MiB                         # packing unit within a file    [1 KiB, 1 GiB]
 *   rows-per-shard = 4096                       # rows per Parquet file         [1, 10000000]
 *   seed = 0                                    # of the train/validation assignment
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
    long chunkBytes,
    int rowsPerShard,
    long seed,
    boolean overwrite,
    SparkOptions spark,
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
    long chunkBytes = s.bytes("chunk-bytes", 4L << 20, 1L << 10, 1L << 30);
    int rowsPerShard = s.integer("rows-per-shard", 4096, 1, 10_000_000);
    long seed = s.longValue("seed", 0, Long.MIN_VALUE, Long.MAX_VALUE);
    boolean overwrite = s.bool("overwrite", false);
    Section sp = s.section("spark");
    SparkOptions spark = new SparkOptions(sp.string("master", "local[*]"), sp.string("app-name", "sparseattn-prepare"));
    s.finish();
    return new PrepareConfig(input.stream().map(HadoopPaths::resolve).toList(), HadoopPaths.resolve(output),
        tokenizer, document, seqLen, validationFraction, chunkBytes, rowsPerShard, seed, overwrite, spark,
        s.resolved());
  }
}
