package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.pipeline.PrepareConfig;
import java.util.List;

/**
 * Rows per shard: {@code prepare.rows-per-shard}, or, with {@code prepare.shard-bytes} set, as many
 * rows as fit that size by an estimate of a row's bytes in Parquet. Shards store token ids with
 * dictionary encoding, bit-packed at {@code ceil(log2(distinct ids))} bits (the distinct ids are known
 * from pass 2), plus segment ids (run-length encoded: a few bytes per document in the row) and two
 * scalars; snappy adds little to bit-packed ids. The estimate is deterministic (the same data gives the
 * same plan), not exact: files land near the target, not on it.
 */
final class ShardSizing {
  private ShardSizing() {}

  /** Bytes of the per-row scalars (seq_id, n_tokens) and list framing. */
  static final double ROW_OVERHEAD = 12;
  /** Bytes per document boundary of the run-length encoded segment ids. */
  static final double SEGMENT_RUN = 3;

  /** {@code usedIds}: the ids used by all chunks, as a bit set ({@link UsedIds}). */
  static int rowsPerShard(PrepareConfig config, List<ChunkSummary> chunks, long[] usedIds) {
    if (config.shardBytes() <= 0) {
      return config.rowsPerShard();
    }
    double rowBytes = rowBytes(config, chunks, usedIds);
    return (int) Math.max(1, Math.min(10_000_000, Math.floor(config.shardBytes() / rowBytes)));
  }

  /** The estimated bytes of one row. */
  static double rowBytes(PrepareConfig config, List<ChunkSummary> chunks, long[] usedIds) {
    long documents = 0;
    long sequences = 0;
    for (ChunkSummary c : chunks) {
      documents += c.documents();
      sequences += c.sequences();
    }
    int distinct = 1 + UsedIds.count(usedIds); // + PAD
    int bits = 32 - Integer.numberOfLeadingZeros(Math.max(1, distinct - 1));
    double tokens = (config.seqLen() + 1) * bits / 8.0;
    double segments = config.segmentIds() ? SEGMENT_RUN * (1 + documents / (double) Math.max(1, sequences)) : 0;
    return tokens + segments + ROW_OVERHEAD;
  }
}
