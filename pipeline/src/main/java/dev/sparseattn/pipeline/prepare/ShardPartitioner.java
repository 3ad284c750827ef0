package dev.sparseattn.pipeline.prepare;

import org.apache.spark.Partitioner;

/**
 * One partition per output shard: train shards first, then validation shards. A sequence goes to
 * shard {@code seqId / rowsPerShard} of its split, so partition {@code p} is exactly one shard file.
 */
public final class ShardPartitioner extends Partitioner {
  private static final long serialVersionUID = 1L;

  private final int trainShards;
  private final int validationShards;
  private final int rowsPerShard;

  public ShardPartitioner(int trainShards, int validationShards, int rowsPerShard) {
    this.trainShards = trainShards;
    this.validationShards = validationShards;
    this.rowsPerShard = rowsPerShard;
  }

  @Override
  public int numPartitions() {
    return trainShards + validationShards;
  }

  @Override
  public int getPartition(Object key) {
    SeqKey k = (SeqKey) key;
    return firstPartition(k.split()) + (int) (k.seqId() / rowsPerShard);
  }

  /** The partition of shard 0 of a split ({@code Split.ordinal()}). */
  public int firstPartition(int split) {
    return split == 0 ? 0 : trainShards;
  }

  /** The split ({@code Split.ordinal()}) a partition writes. */
  public int splitOf(int partition) {
    return partition < trainShards ? 0 : 1;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ShardPartitioner p && p.trainShards == trainShards
        && p.validationShards == validationShards && p.rowsPerShard == rowsPerShard;
  }

  @Override
  public int hashCode() {
    return (trainShards * 31 + validationShards) * 31 + rowsPerShard;
  }
}
