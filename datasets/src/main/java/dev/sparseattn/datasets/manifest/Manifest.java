package dev.sparseattn.datasets.manifest;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.sparseattn.datasets.config.DataError;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;

/**
 * The description of a prepared dataset, stored as {@value #FILE_NAME} in the dataset directory and
 * written last: its presence marks a complete dataset. Read it with {@link #read}; resolve shard
 * files with {@link PreparedDataset}.
 *
 * <p>Counting identity (checked when the dataset is prepared): every document becomes its tokens
 * plus one EOS, so {@code stream_tokens} is the tokens of the documents plus {@code documents}; each
 * packing chunk holds one stream per split (a document goes whole to one split), and a stream of T
 * tokens becomes n sequences sharing n-1 tokens, so
 * {@code train.tokens + validation.tokens - (train.sequences + validation.sequences - streams) == stream_tokens}.
 * For the byte tokenizer the documents' tokens are {@code input_bytes}.
 *
 * @param schemaVersion {@value #SCHEMA_VERSION}
 * @param createdBy the program that wrote it
 * @param tokenizer the tokenizer's description ({@code Tokenizer.describe()})
 * @param seqLen L: every row has L + 1 ids
 * @param document how documents were cut from the inputs: {@code line}, {@code file} or {@code paragraph}
 *     (text), {@code window} (FASTA, CSV), {@code read} (FASTQ)
 * @param documents documents read (equals the sum of the splits' records)
 * @param inputBytes document bytes read (decompressed, line terminators excluded)
 * @param streamTokens tokens of all documents plus one EOS per document
 * @param chunks packing chunks
 * @param inputs the input files in reading order
 * @param splits {@code train} and {@code validation}
 * @param prepareConfig the resolved {@code prepare} configuration
 * @param records how every input record was accounted for (emitted or quarantined); {@code null} in
 *     manifests of schema version 1
 * @param format the input format ({@code text}, {@code fasta}, {@code fastq}, {@code csv}); {@code null}
 *     in version 1 manifests, which are all text
 * @param splitRule how documents were assigned to train and validation, in words (e.g. by time: the
 *     last 365 steps of every series); {@code null} in manifests written before it was recorded
 */
public record Manifest(
    @JsonProperty("schema_version") int schemaVersion,
    @JsonProperty("created_by") String createdBy,
    @JsonProperty("tokenizer") Map<String, Object> tokenizer,
    @JsonProperty("seq_len") int seqLen,
    @JsonProperty("document") String document,
    @JsonProperty("documents") long documents,
    @JsonProperty("input_bytes") long inputBytes,
    @JsonProperty("stream_tokens") long streamTokens,
    @JsonProperty("chunks") long chunks,
    @JsonProperty("inputs") List<InputInfo> inputs,
    @JsonProperty("splits") Map<String, SplitInfo> splits,
    @JsonProperty("prepare_config") Map<String, Object> prepareConfig,
    @JsonProperty("format") String format,
    @JsonProperty("records") RecordAccounting records,
    @JsonProperty("split_rule") String splitRule) {

  /**
   * The manifest layout this build writes. Version 2 added {@code format} and {@code records}; version 1
   * manifests (without them) still read.
   */
  public static final int SCHEMA_VERSION = 2;
  /** The oldest manifest layout this build reads. */
  public static final int MIN_SCHEMA_VERSION = 1;
  /** The manifest's file name inside a dataset directory. */
  public static final String FILE_NAME = "manifest.json";

  /** A manifest without a recorded split rule. */
  public Manifest(int schemaVersion, String createdBy, Map<String, Object> tokenizer, int seqLen,
      String document, long documents, long inputBytes, long streamTokens, long chunks,
      List<InputInfo> inputs, Map<String, SplitInfo> splits, Map<String, Object> prepareConfig, String format,
      RecordAccounting records) {
    this(schemaVersion, createdBy, tokenizer, seqLen, document, documents, inputBytes, streamTokens, chunks,
        inputs, splits, prepareConfig, format, records, null);
  }

  /** A manifest without format and record accounting (the version 1 fields only). */
  public Manifest(int schemaVersion, String createdBy, Map<String, Object> tokenizer, int seqLen,
      String document, long documents, long inputBytes, long streamTokens, long chunks,
      List<InputInfo> inputs, Map<String, SplitInfo> splits, Map<String, Object> prepareConfig) {
    this(schemaVersion, createdBy, tokenizer, seqLen, document, documents, inputBytes, streamTokens, chunks,
        inputs, splits, prepareConfig, null, null, null);
  }

  /**
   * Reads the manifest of a dataset: {@code uri} is the dataset directory or its manifest file, on any
   * Hadoop file system. A missing dataset, a directory without a manifest and an unreadable or
   * unsupported manifest are {@link DataError}s naming the location.
   */
  public static Manifest read(String uri, Configuration hadoopConf) {
    return PreparedDataset.open(uri, hadoopConf).manifest();
  }

  /** Writes this manifest as {@code <datasetDir>/manifest.json}, atomically (temporary file, then rename). */
  public void write(String datasetDir, Configuration hadoopConf) throws IOException {
    ManifestIo.write(this, datasetDir, hadoopConf);
  }

  /** The manifest as pretty-printed JSON. */
  public String toJson() {
    return ManifestIo.toJson(this);
  }

  /** Parses and validates manifest JSON; {@code source} names it in errors. */
  public static Manifest fromJson(String json, String source) {
    return ManifestIo.fromJson(json, source);
  }

  /** One split's counts and shards. */
  public SplitInfo split(Split split) {
    SplitInfo s = splits.get(split.id());
    if (s == null) {
      throw new DataError("manifest has no split '" + split.id() + "'");
    }
    return s;
  }

  /** The tokenizer's vocabulary size as recorded. */
  @JsonIgnore
  public int vocabSize() {
    return ((Number) tokenizer.get("vocab_size")).intValue();
  }
}
