package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.manifest.InputInfo;
import dev.sparseattn.datasets.manifest.Manifest;
import dev.sparseattn.datasets.manifest.RecordAccounting;
import dev.sparseattn.pipeline.PrepareConfig;
import dev.sparseattn.datasets.manifest.ShardInfo;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.datasets.manifest.SplitInfo;
import dev.sparseattn.datasets.tokenize.Tokenizer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the manifest on the driver from the chunk summaries and the shard writers' reports, and checks
 * that everything adds up: every expected shard written once with the expected rows and seq_ids,
 * histograms summing to token counts, and the packing identity
 * {@code tokens - (sequences - streams) == stream tokens} (a stream per split and chunk). A failed check is a bug, not a user error.
 */
final class ManifestAssembler {
  private ManifestAssembler() {}

  static final String CREATED_BY = "sparseattn-pipeline PrepareCorpus";

  static Manifest build(PreparePlan plan, Tokenizer tokenizer, SequenceNumbering numbering, List<ShardStats> stats) {
    Map<String, SplitInfo> splits = new LinkedHashMap<>();
    long tokens = 0;
    for (Split split : Split.values()) {
      SplitInfo info = splitInfo(split, tokenizer.vocabSize(), numbering, stats);
      splits.put(split.id(), info);
      tokens += info.tokens();
    }
    long chunks = numbering.packedChunks();
    long streamTokens = numbering.sum(ChunkSummary::streamTokens);
    long sequences = java.util.Arrays.stream(Split.values()).mapToLong(numbering::sequences).sum();
    long streams = numbering.sum(ChunkSummary::streams);
    check(tokens - (sequences - streams) == streamTokens, "packing identity: tokens " + tokens
        + " - (sequences " + sequences + " - streams " + streams + ") != stream tokens " + streamTokens);
    long documents = numbering.sum(ChunkSummary::documents);
    long records = splits.values().stream().mapToLong(SplitInfo::records).sum();
    check(records == documents, "records " + records + " != documents " + documents);
    Tally tally = new Tally();
    numbering.chunks().forEach(c -> tally.add(c.tally()));
    RecordAccounting accounting = tally.toAccounting(unit(plan.config()));
    check(accounting.consistent(), "record accounting " + accounting);

    return new Manifest(Manifest.SCHEMA_VERSION, CREATED_BY, tokenizer.describe(), plan.config().seqLen(),
        documentKind(plan.config()), documents,
        numbering.sum(ChunkSummary::contentBytes), streamTokens, chunks, inputs(plan, numbering), splits,
        plan.config().resolved().values(), plan.config().format().name().toLowerCase(java.util.Locale.ROOT),
        accounting, splitRule(plan.config()));
  }

  /** The split rule in words, for the manifest's {@code split_rule}. */
  static String splitRule(PrepareConfig config) {
    if (config.format() == dev.sparseattn.pipeline.InputFormat.CSV) {
      int period = config.formats().csv().validationPeriod();
      int test = config.formats().csv().testPeriod();
      String heldOut = test == 0 ? "the last " + period + " steps of every series (gap steps included) are validation"
          : "the last " + test + " steps of every series (gap steps included) are test and the " + period
              + " steps before them validation";
      return "by time: " + heldOut + ", in windows of their own; no training window holds a held-out step";
    }
    String rule = "by document: a document (and its reverse complement) goes whole to validation when a hash of (seed "
        + config.seed() + ", file, document offset) falls below validation-fraction " + config.validationFraction();
    return config.testFraction() == 0 ? rule : rule + ", whole to test when it falls in the next test-fraction "
        + config.testFraction();
  }

  /** What one document is: the text document mode, else {@code line} (JSONL), {@code window}, {@code read}. */
  static String documentKind(PrepareConfig config) {
    return switch (config.format()) {
      case TEXT -> config.document().name().toLowerCase(java.util.Locale.ROOT);
      case JSONL -> "line";
      case FASTA, CSV -> "window";
      case FASTQ -> "read";
      case PARQUET -> "row";
    };
  }

  /** What one input record is for the configured format (see {@link RecordAccounting#unit()}). */
  static String unit(PrepareConfig config) {
    return switch (config.format()) {
      case TEXT -> config.document() == dev.sparseattn.pipeline.DocumentMode.CHUNK ? "line"
          : config.document().name().toLowerCase(java.util.Locale.ROOT);
      case JSONL -> "line";
      case FASTA -> "window";
      case FASTQ -> "read";
      case CSV, PARQUET -> "row";
    };
  }

  private static SplitInfo splitInfo(Split split, int vocabSize, SequenceNumbering numbering, List<ShardStats> stats) {
    List<ShardStats> mine = stats.stream().filter(s -> s.split == split.ordinal())
        .sorted(Comparator.comparingInt(s -> s.shard)).toList();
    check(mine.size() == numbering.shards(split), split + ": " + mine.size() + " shards reported, expected "
        + numbering.shards(split));
    long[] histogram = new long[vocabSize];
    long tokens = 0;
    List<ShardInfo> shards = new ArrayList<>();
    for (int i = 0; i < mine.size(); i++) {
      ShardStats s = mine.get(i);
      check(s.shard == i && s.rows == numbering.expectedRows(split, i)
          && s.firstSeqId == (long) i * numbering.rowsPerShard(), split + " shard " + s.shard + ": "
          + s.rows + " rows from seq_id " + s.firstSeqId + ", expected " + numbering.expectedRows(split, i));
      long sum = 0;
      for (int t = 0; t < vocabSize; t++) {
        histogram[t] += s.histogram[t];
        sum += s.histogram[t];
      }
      check(sum == s.tokens, s.path + ": histogram sums to " + sum + ", not " + s.tokens);
      tokens += s.tokens;
      shards.add(new ShardInfo(s.path, s.rows, s.bytes, s.sha256, s.firstSeqId));
    }
    long records = numbering.sum(c -> c.records(split.ordinal()));
    return new SplitInfo(records, numbering.sequences(split), tokens, shards, histogram);
  }

  private static List<InputInfo> inputs(PreparePlan plan, SequenceNumbering numbering) {
    long[] documents = new long[plan.files().size()];
    long[] bytes = new long[plan.files().size()];
    for (ChunkSummary c : numbering.chunks()) {
      documents[c.id().file()] += c.documents();
      bytes[c.id().file()] += c.contentBytes();
    }
    List<InputInfo> inputs = new ArrayList<>();
    for (int f = 0; f < documents.length; f++) {
      inputs.add(new InputInfo(plan.files().get(f).toString(), documents[f], bytes[f]));
    }
    return inputs;
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      throw new IllegalStateException("inconsistent preparation: " + what);
    }
  }
}
