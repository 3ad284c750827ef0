package dev.sparseattn.trainer.distributed;

import dev.sparseattn.datasets.config.DataError;
import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.datasets.manifest.ShardInfo;
import dev.sparseattn.datasets.manifest.Split;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Which shards of a split each of W workers owns: disjoint subsets covering the split, a pure function
 * of the manifest and W (so every executor and a resumed run compute the same assignment). Shards go,
 * largest first, to the worker with the fewest rows so far (ties to the lower index), which balances
 * rows; each worker's shards keep manifest order. With one worker, it owns every shard in manifest
 * order, so its stream is exactly the single-machine {@code SequenceBatches} stream.
 */
public final class ShardAssignment {
  private ShardAssignment() {}

  /** For each worker, the manifest-relative paths of its shards of {@code split}. */
  public static List<List<String>> assign(PreparedDataset data, Split split, int workers) {
    List<ShardInfo> shards = data.manifest().split(split).shards();
    List<Integer> bySize = IntStream.range(0, shards.size()).boxed()
        .sorted(Comparator.comparingLong((Integer i) -> -shards.get(i).rows()).thenComparingInt(i -> i))
        .toList();
    long[] rows = new long[workers];
    List<List<Integer>> owned = new ArrayList<>();
    for (int w = 0; w < workers; w++) {
      owned.add(new ArrayList<>());
    }
    for (int i : bySize) {
      int least = 0;
      for (int w = 1; w < workers; w++) {
        if (rows[w] < rows[least]) {
          least = w;
        }
      }
      owned.get(least).add(i);
      rows[least] += shards.get(i).rows();
    }
    List<List<String>> result = new ArrayList<>();
    for (List<Integer> mine : owned) {
      result.add(mine.stream().sorted().map(i -> shards.get(i).path()).toList());
    }
    return result;
  }

  /** {@link #assign} for training: fails with a clear message when some worker would get no rows. */
  public static List<List<String>> assignTraining(PreparedDataset data, int workers) {
    List<ShardInfo> shards = data.manifest().split(Split.TRAIN).shards();
    long nonEmpty = shards.stream().filter(s -> s.rows() > 0).count();
    if (nonEmpty < workers) {
      throw new DataError("distributed.workers is " + workers + " but the train split of " + data.dir()
          + " has only " + nonEmpty + " non-empty shard(s); each worker needs its own shards: use at most "
          + nonEmpty + " workers or prepare the data with more shards");
    }
    return assign(data, Split.TRAIN, workers);
  }
}
