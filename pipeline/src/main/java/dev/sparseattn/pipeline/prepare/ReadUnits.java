package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.read.DocLine;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.Dependency;
import org.apache.spark.ShuffleDependency;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.rdd.RDD;
import org.apache.spark.util.CollectionAccumulator;
import scala.collection.Iterator;

/**
 * The units read from the inputs, and how to number the records of files read in splits: each split
 * numbers its units from 0 and reports how many it read ({@link SplitUnits}); {@link #recordBases}
 * turns those counts into the number of records of the file before each split, so that record
 * numbers in the side tables are the file's whatever the split size.
 */
final class ReadUnits {
  private final JavaPairRDD<ChunkId, DocLine> units;
  private final int[] splitFile;
  private final CollectionAccumulator<long[]> counts;

  /** {@code splitFile}: the file index of each split (global split index); {@code counts} null if none. */
  ReadUnits(JavaPairRDD<ChunkId, DocLine> units, int[] splitFile, CollectionAccumulator<long[]> counts) {
    this.units = units;
    this.splitFile = splitFile.clone();
    this.counts = counts;
  }

  /** Units of files read whole: no split, record numbers are the file's. */
  static ReadUnits whole(JavaPairRDD<ChunkId, DocLine> units) {
    return new ReadUnits(units, new int[0], null);
  }

  JavaPairRDD<ChunkId, DocLine> units() {
    return units;
  }

  /**
   * The records of its file before each split (indexed by global split index). {@code shuffled} is
   * an RDD shuffled from {@link #units}: if a split has not been read yet, its shuffle map stage is
   * run (and its output kept for the job's later stages), so the input is read once.
   */
  long[] recordBases(JavaPairRDD<?, ?> shuffled) {
    if (splitFile.length == 0) {
      return new long[0];
    }
    Map<Integer, Long> perSplit = reported();
    if (perSplit.size() < splitFile.length) {
      ShuffleDependency<?, ?, ?> dep = shuffleOf(shuffled.rdd());
      try {
        shuffled.context().submitMapStage(dep).get();
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException("reading the input splits failed: " + e.getMessage(), e);
      }
      perSplit = reported();
    }
    long[] bases = new long[splitFile.length];
    long sum = 0;
    for (int s = 0; s < splitFile.length; s++) {
      if (s > 0 && splitFile[s] != splitFile[s - 1]) {
        sum = 0;
      }
      Long n = perSplit.get(s);
      if (n == null) {
        throw new IllegalStateException("split " + s + " of file " + splitFile[s] + " reported no record count");
      }
      bases[s] = sum;
      sum += n;
    }
    return bases;
  }

  private Map<Integer, Long> reported() {
    Map<Integer, Long> perSplit = new HashMap<>();
    List<long[]> values = counts.value();
    for (long[] v : values) {
      Long before = perSplit.put((int) v[0], v[1]);
      if (before != null && before != v[1]) {
        throw new IllegalStateException("split " + v[0] + " read " + before + " and then " + v[1] + " records");
      }
    }
    return perSplit;
  }

  /** The nearest shuffle dependency in {@code rdd}'s lineage. */
  private static ShuffleDependency<?, ?, ?> shuffleOf(RDD<?> rdd) {
    Deque<RDD<?>> todo = new ArrayDeque<>(List.of(rdd));
    while (!todo.isEmpty()) {
      Iterator<Dependency<?>> deps = todo.poll().dependencies().iterator();
      while (deps.hasNext()) {
        Dependency<?> d = deps.next();
        if (d instanceof ShuffleDependency<?, ?, ?> s) {
          return s;
        }
        todo.add(d.rdd());
      }
    }
    throw new IllegalStateException("no shuffle in the lineage of " + rdd);
  }
}
