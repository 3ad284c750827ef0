package dev.sparseattn.trainer.train;

import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.datasets.shard.ShardReader;
import dev.sparseattn.datasets.shard.ShardRow;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.apache.hadoop.fs.Path;

/**
 * Streams batches of packed sequences from a split's shards, one shard in memory at a time. For
 * training it cycles forever: every epoch visits the shards in a fresh seeded order and shuffles the
 * rows of each shard, so the data order depends only on the seed. For evaluation it reads the split
 * in seq_id order, once.
 */
public final class SequenceBatches {
  private final PreparedDataset data;
  private final List<Path> shards;
  private final int batchSize;
  private final boolean shuffleForever;
  private final Random random;
  private final List<int[]> buffer = new ArrayList<>();
  private int bufferPos;
  private int shardPos;
  private long epoch;

  private SequenceBatches(PreparedDataset data, Split split, int batchSize, boolean shuffleForever, long seed) {
    this.data = data;
    this.shards = new ArrayList<>(data.shardPaths(split));
    this.batchSize = batchSize;
    this.shuffleForever = shuffleForever;
    this.random = new Random(seed);
    if (shuffleForever) {
      if (data.manifest().split(split).sequences() == 0) {
        throw new IllegalStateException("split '" + split + "' has no sequences to train on");
      }
      Collections.shuffle(shards, random);
    }
  }

  /** Endless, shuffled batches of {@code batchSize} rows. */
  public static SequenceBatches training(PreparedDataset data, int batchSize, long seed) {
    return new SequenceBatches(data, Split.TRAIN, batchSize, true, seed);
  }

  /** The split's rows in order, in batches of at most {@code batchSize}; {@link #next} is null at the end. */
  public static SequenceBatches inOrder(PreparedDataset data, Split split, int batchSize) {
    return new SequenceBatches(data, split, batchSize, false, 0);
  }

  /** Completed passes over the data (training only). */
  public long epoch() {
    return epoch;
  }

  /** The next batch of rows of L+1 ids, or null when an in-order pass is over. */
  public int[][] next() {
    List<int[]> rows = new ArrayList<>(batchSize);
    while (rows.size() < batchSize) {
      if (bufferPos == buffer.size() && !refill()) {
        break;
      }
      rows.add(buffer.get(bufferPos++));
    }
    return rows.isEmpty() ? null : rows.toArray(new int[0][]);
  }

  private boolean refill() {
    buffer.clear();
    bufferPos = 0;
    while (buffer.isEmpty()) {
      if (shardPos == shards.size()) {
        if (!shuffleForever) {
          return false;
        }
        shardPos = 0;
        epoch++;
        Collections.shuffle(shards, random);
      }
      try (ShardReader reader = data.openShard(shards.get(shardPos++))) {
        for (ShardRow row : (Iterable<ShardRow>) () -> reader) {
          buffer.add(row.tokens());
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read shard " + shards.get(shardPos - 1), e);
      }
    }
    if (shuffleForever) {
      Collections.shuffle(buffer, random);
    }
    return true;
  }
}
