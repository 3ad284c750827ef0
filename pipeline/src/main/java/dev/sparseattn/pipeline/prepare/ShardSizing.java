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

  static int rowsPerShard(PrepareConfig config, List<ChunkSummary> chunks) {
    if (config.shardBytes() <= 0) {
      return config.rowsPerShard();
    }
    double rowBytes = rowBytes(config, chunks);
    return (int) Math.max(1, Math.min(10_000_000, Math.floor(config.shardBytes() / rowBytes)));
  }

  /** The estimated bytes of one row. */
  static double rowBytes(PrepareConfig config, List<ChunkSummary> chunks) {
    long[] used = new long[0];
    long documents = 0;
    long sequences = 0;
    for (ChunkSummary c : chunks) {
      long[] u = c.usedIds();
      if (u.length > used.length) {
        used = java.util.Arrays.copyOf(used, u.length);
      }
      for (int i = 0; i < u.length; i++) {
        used[i] |= u[i];
      }
      documents += c.documents();
      sequences += c.sequences();
    }
    int distinct = 1; // PAD
    for (long w : used) {
      distinct += Long.bitCount(w);
    }
    int bits = 32 - Integer.numberOfLeadingZeros(Math.max(1, distinct - 1));
    double tokens = (config.seqLen() + 1) * bits / 8.0;
    double segments = config.segmentIds() ? SEGMENT_RUN * (1 + documents / (double) Math.max(1, sequences)) : 0;
    return tokens + segments + ROW_OVERHEAD;
  }
}
