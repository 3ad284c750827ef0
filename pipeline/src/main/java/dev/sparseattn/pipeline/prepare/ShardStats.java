package dev.sparseattn.pipeline.prepare;

import java.io.Serializable;

/** What a shard-writing task reports to the driver about the file it wrote. */
public final class ShardStats implements Serializable {
  private static final long serialVersionUID = 1L;

  final int split;
  final int shard;
  final String path;
  final long rows;
  final long bytes;
  final String sha256;
  final long firstSeqId;
  final long tokens;
  final long[] histogram;

  ShardStats(int split, int shard, String path, long rows, long bytes, String sha256, long firstSeqId,
      long tokens, long[] histogram) {
    this.split = split;
    this.shard = shard;
    this.path = path;
    this.rows = rows;
    this.bytes = bytes;
    this.sha256 = sha256;
    this.firstSeqId = firstSeqId;
    this.tokens = tokens;
    this.histogram = histogram;
  }
}
