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
 * Streams batches of packed sequences from a split's shards, one shard in memory at a time.
 *
 * <p>For training it cycles forever. The order is a pure function of the seed and the position: epoch
 * {@code e} visits the shards in an order drawn from {@code (seed, e)} and shuffles the rows of each
 * shard with {@code (seed, e, shard)}. So a {@link Position} (epoch, shard, row) is all a checkpoint
 * needs to resume the exact same stream. For evaluation it reads the split once, in seq_id order.
 */
public final class SequenceBatches {
  /** Where the stream is: the next row to read is row {@code row} of the {@code shard}-th shard of {@code epoch}. */
  public record Position(long epoch, int shard, int row) {}

  private final PreparedDataset data;
  private final List<Path> shards;
  private final int batchSize;
  private final boolean training;
  private final long seed;
  private List<Path> order;
  private List<int[]> buffer = List.of();
  private final java.util.Map<int[], int[]> segmentsOf = new java.util.IdentityHashMap<>();   // of buffer's rows
  private int[][] lastSegments;
  private long epoch;
  private int shardPos = -1;   // index in order of the shard held in buffer
  private int row;

  private SequenceBatches(PreparedDataset data, Split split, int batchSize, boolean training, long seed) {
    this(data, data.shardPaths(split), batchSize, training, seed);
    if (training && data.manifest().split(split).sequences() == 0) {
      throw new IllegalStateException("split '" + split + "' has no sequences to train on");
    }
  }

  private SequenceBatches(PreparedDataset data, List<Path> shards, int batchSize, boolean training, long seed) {
    this.data = data;
    this.shards = List.copyOf(shards);
    this.batchSize = batchSize;
    this.training = training;
    this.seed = seed;
    this.order = training ? shuffled(this.shards, seed, 0, -1) : this.shards;
  }

  /** Endless, shuffled batches of {@code batchSize} training rows, starting at {@code from}. */
  public static SequenceBatches training(PreparedDataset data, int batchSize, long seed, Position from) {
    SequenceBatches b = new SequenceBatches(data, Split.TRAIN, batchSize, true, seed);
    b.seek(from);
    return b;
  }

  /** Endless, shuffled batches of {@code batchSize} training rows from the beginning. */
  public static SequenceBatches training(PreparedDataset data, int batchSize, long seed) {
    return training(data, batchSize, seed, new Position(0, 0, 0));
  }

  /**
   * Endless, shuffled batches from a subset of a split's shards (for instance one worker's share in
   * distributed training), starting at {@code from}. The shards must hold at least one row. With all
   * of the split's shards in manifest order this is exactly {@link #training(PreparedDataset, int, long, Position)}.
   */
  public static SequenceBatches training(PreparedDataset data, List<Path> shards, int batchSize, long seed,
                                         Position from) {
    if (shards.isEmpty()) {
      throw new IllegalArgumentException("no shards to train on");
    }
    SequenceBatches b = new SequenceBatches(data, shards, batchSize, true, seed);
    b.seek(from);
    return b;
  }

  /** The rows of the given shards in order, in batches of at most {@code batchSize}; {@link #next} is null at the end. */
  public static SequenceBatches inOrder(PreparedDataset data, List<Path> shards, int batchSize) {
    return new SequenceBatches(data, shards, batchSize, false, 0);
  }

  /** The split's rows in order, in batches of at most {@code batchSize}; {@link #next} is null at the end. */
  public static SequenceBatches inOrder(PreparedDataset data, Split split, int batchSize) {
    return new SequenceBatches(data, split, batchSize, false, 0);
  }

  /** Completed passes over the data (training only). */
  public long epoch() {
    return epoch;
  }

  /** The position of the next row, for checkpoints. */
  public Position position() {
    return new Position(epoch, shardPos, row);
  }

  /** The next batch of rows of L+1 ids, or null when an in-order pass is over. */
  public int[][] next() {
    List<int[]> rows = new ArrayList<>(batchSize);
    List<int[]> segments = new ArrayList<>(batchSize);
    while (rows.size() < batchSize) {
      if (row == buffer.size() && !advance()) {
        break;
      }
      int[] tokens = buffer.get(row++);
      rows.add(tokens);
      segments.add(segmentsOf.get(tokens));
    }
    lastSegments = segments.contains(null) ? null : segments.toArray(new int[0][]);
    return rows.isEmpty() ? null : rows.toArray(new int[0][]);
  }

  /**
   * The shards' {@code segment_ids} of the rows the last {@link #next} returned (one per token, the document of
   * each token within its row, -1 on padding), or null when a row has none (shards written without them).
   */
  public int[][] segments() {
    return lastSegments;
  }

  /** Moves to the next non-empty shard (the next epoch after the last one); false at the end of an in-order pass. */
  private boolean advance() {
    do {
      shardPos++;
      if (shardPos >= order.size()) {
        if (!training) {
          return false;
        }
        epoch++;
        shardPos = 0;
        order = shuffled(shards, seed, epoch, -1);
      }
      load();
    } while (buffer.isEmpty());
    return true;
  }

  private void seek(Position p) {
    epoch = p.epoch();
    order = shuffled(shards, seed, epoch, -1);
    shardPos = p.shard();
    load();
    row = p.row();
  }

  private void load() {
    Path shard = order.get(shardPos);
    List<int[]> rows = new ArrayList<>();
    segmentsOf.clear();
    try (ShardReader reader = data.openShard(shard)) {
      for (ShardRow r : (Iterable<ShardRow>) () -> reader) {
        rows.add(r.tokens());
        if (r.segmentIds() != null) {
          segmentsOf.put(r.tokens(), r.segmentIds());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read shard " + shard, e);
    }
    buffer = training ? shuffled(rows, seed, epoch, shards.indexOf(shard)) : rows;
    row = 0;
  }

  private static <T> List<T> shuffled(List<T> items, long seed, long epoch, int shard) {
    List<T> copy = new ArrayList<>(items);
    long mixed = seed * 0x9E3779B97F4A7C15L + epoch * 0xC2B2AE3D27D4EB4FL + shard * 0x165667B19E3779F9L;
    Collections.shuffle(copy, new Random(mixed));
    return copy;
  }
}
