package dev.sparseattn.pipeline.prepare;

import java.util.Arrays;
import org.apache.spark.Partitioner;

/**
 * One partition per output shard: train shards first, then validation, then test shards. A sequence
 * goes to shard {@code seqId / rowsPerShard} of its split, so partition {@code p} is exactly one shard file.
 */
public final class ShardPartitioner extends Partitioner {
  private static final long serialVersionUID = 2L;

  private final int[] first; // first partition of each split ({@code Split.ordinal()}), then the total
  private final int rowsPerShard;

  /** {@code shards[s]}: shards of split {@code s} ({@code Split.ordinal()}). */
  public ShardPartitioner(int[] shards, int rowsPerShard) {
    this.first = new int[shards.length + 1];
    for (int s = 0; s < shards.length; s++) {
      first[s + 1] = first[s] + shards[s];
    }
    this.rowsPerShard = rowsPerShard;
  }

  @Override
  public int numPartitions() {
    return first[first.length - 1];
  }

  @Override
  public int getPartition(Object key) {
    SeqKey k = (SeqKey) key;
    return firstPartition(k.split()) + (int) (k.seqId() / rowsPerShard);
  }

  /** The partition of shard 0 of a split ({@code Split.ordinal()}). */
  public int firstPartition(int split) {
    return first[split];
  }

  /** The split ({@code Split.ordinal()}) a partition writes. */
  public int splitOf(int partition) {
    int s = 0;
    while (partition >= first[s + 1]) {
      s++;
    }
    return s;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ShardPartitioner p && Arrays.equals(p.first, first) && p.rowsPerShard == rowsPerShard;
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(first) * 31 + rowsPerShard;
  }
}
