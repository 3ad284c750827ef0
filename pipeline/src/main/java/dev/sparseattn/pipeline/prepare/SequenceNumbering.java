package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.manifest.Split;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The driver's global numbering of sequences: chunks in (file, chunk) order, and within a chunk in
 * sequence order, get consecutive seq_ids per split. {@link #bases()} maps each chunk to the first
 * seq_id of its train and validation sequences; shards hold {@code rowsPerShard} consecutive seq_ids.
 */
public final class SequenceNumbering {
  private final List<ChunkSummary> chunks;
  private final Map<ChunkId, long[]> bases = new HashMap<>();
  private final long[] sequences = new long[Split.values().length];
  private final int[] shards = new int[Split.values().length];
  private final int rowsPerShard;

  public SequenceNumbering(List<ChunkSummary> summaries, int rowsPerShard) {
    this.rowsPerShard = rowsPerShard;
    this.chunks = summaries.stream().sorted(Comparator.comparing(ChunkSummary::id)).toList();
    for (ChunkSummary c : chunks) {
      bases.put(c.id(), sequences.clone());
      for (int s = 0; s < sequences.length; s++) {
        sequences[s] += c.sequences(s);
      }
    }
    for (int s = 0; s < sequences.length; s++) {
      long n = (sequences[s] + rowsPerShard - 1) / rowsPerShard;
      if (n > Integer.MAX_VALUE / 2) {
        throw new IllegalStateException("too many shards (" + n + "); raise prepare.rows-per-shard");
      }
      shards[s] = (int) n;
    }
  }

  /** Chunks that hold sequences (a chunk of quarantined units alone has none): the manifest's chunk count. */
  public long packedChunks() {
    return chunks.stream().filter(c -> c.sequences() > 0).count();
  }

  /** The chunks in global order. */
  public List<ChunkSummary> chunks() {
    return chunks;
  }

  /** Chunk to the first seq_id of its sequences of each split ({@code Split.ordinal()}). */
  public Map<ChunkId, long[]> bases() {
    return bases;
  }

  public long sequences(Split split) {
    return sequences[split.ordinal()];
  }

  public int shards(Split split) {
    return shards[split.ordinal()];
  }

  public int rowsPerShard() {
    return rowsPerShard;
  }

  /** Rows of shard {@code shard} of a split: full shards, then the remainder. */
  public long expectedRows(Split split, int shard) {
    return Math.min(rowsPerShard, sequences[split.ordinal()] - (long) shard * rowsPerShard);
  }

  public ShardPartitioner partitioner() {
    return new ShardPartitioner(shards, rowsPerShard);
  }

  /** A per-chunk sum. */
  public long sum(java.util.function.ToLongFunction<ChunkSummary> f) {
    return chunks.stream().mapToLong(f).sum();
  }
}
