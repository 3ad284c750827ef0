package dev.sparseattn.trainer.distributed;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What one round of local training returns for a contiguous range of workers
 * {@code [firstWorker, lastWorker]}: the sums of their parameters and updater states (raw bytes,
 * {@link FlatArray}), the token-weighted training loss, each worker's new data position and the slowest
 * worker's times. A single worker's result is a range of one.
 *
 * <p>Summation is deterministic: partial sums are always added in worker order ({@link #combine} on an
 * executor for a level of the aggregation tree, {@link #addInto} on the driver), and which workers
 * are grouped is a pure function of the worker count and the aggregation depth. So the average does
 * not depend on which task finishes first or on how Spark schedules the tree; a run repeats bit for
 * bit with any number of workers.
 */
public final class ReplicaSums implements Serializable {
  private static final long serialVersionUID = 2L;

  private int firstWorker;
  private int lastWorker;
  private FlatArray params;
  private FlatArray updater;   // null when the updater keeps no state
  private double bitsTimesTokens;
  private long tokens;
  private long sequences;
  private int nonFiniteSteps;
  private long maxTrainNanos;
  private long maxSetupNanos;
  private long maxEncodeNanos;
  private long firstStartMillis = Long.MAX_VALUE;
  private long lastEndMillis;
  private long maxTaskNanos;
  private final TreeMap<Integer, long[]> positions = new TreeMap<>();
  private int stateFallbacks;
  private final TreeMap<Integer, String> locations = new TreeMap<>();

  private ReplicaSums() {}

  /**
   * One worker's result: encodes (copies) the arrays ({@code updater} null outside synchronisation
   * rounds); {@code stateFallbacks} is 1 if the worker had to fall back to the synchronised updater
   * state, and {@code location} is its executor as a task location (null if unknown).
   */
  static ReplicaSums of(int worker, INDArray params, INDArray updater, double bitsTimesTokens, long tokens,
                        long sequences, int nonFiniteSteps, long setupNanos, long trainNanos, long[] position,
                        long startMillis, int stateFallbacks, String location) {
    long t0 = System.nanoTime();
    ReplicaSums s = new ReplicaSums();
    s.firstWorker = worker;
    s.lastWorker = worker;
    s.params = FlatArray.of(params);
    s.updater = updater == null ? null : FlatArray.of(updater);
    s.bitsTimesTokens = bitsTimesTokens;
    s.tokens = tokens;
    s.sequences = sequences;
    s.nonFiniteSteps = nonFiniteSteps;
    s.maxSetupNanos = setupNanos;
    s.maxTrainNanos = trainNanos;
    s.positions.put(worker, position);
    s.stateFallbacks = stateFallbacks;
    s.locations.put(worker, location);
    s.maxEncodeNanos = System.nanoTime() - t0;
    s.maxTaskNanos = setupNanos + trainNanos + s.maxEncodeNanos;
    s.firstStartMillis = startMillis;
    s.lastEndMillis = System.currentTimeMillis();
    return s;
  }

  /**
   * The sum of partial results covering contiguous, adjacent worker ranges (one level of the
   * aggregation tree, on an executor), added in worker order whatever the order of {@code parts}.
   */
  static ReplicaSums combine(Iterable<ReplicaSums> parts) {
    List<ReplicaSums> sorted = inOrder(parts);
    ReplicaSums first = sorted.get(0);
    long t0 = System.nanoTime();
    INDArray p = first.params.toArray();
    INDArray u = first.updater == null ? null : first.updater.toArray();
    ReplicaSums s = new ReplicaSums();
    s.firstWorker = first.firstWorker;
    s.lastWorker = first.firstWorker - 1;
    for (ReplicaSums part : sorted) {
      if (part != first) {
        p.addi(part.params.toArray());
        if (u != null) {
          u.addi(part.updater.toArray());
        }
      }
      s.addScalars(part);
    }
    s.params = FlatArray.of(p);
    s.updater = u == null ? null : FlatArray.of(u);
    s.maxEncodeNanos += System.nanoTime() - t0;
    return s;
  }

  /**
   * Adds the parts (which must cover workers 0..W-1) in worker order into {@code params} and
   * {@code updater} (overwriting them), using {@code scratch} arrays of the same shapes for decoding, and
   * returns the totals of the scalar fields; the arrays then hold sums, not yet averages.
   */
  static ReplicaSums addInto(Iterable<ReplicaSums> parts, int workers, INDArray params, INDArray updater,
                             INDArray paramsScratch, INDArray updaterScratch) {
    List<ReplicaSums> sorted = inOrder(parts);
    if (sorted.get(0).firstWorker != 0 || sorted.get(sorted.size() - 1).lastWorker != workers - 1) {
      throw new IllegalStateException("results cover workers " + sorted.get(0).firstWorker + ".."
          + sorted.get(sorted.size() - 1).lastWorker + ", expected 0.." + (workers - 1));
    }
    if ((updater == null) != (sorted.get(0).updater == null)) {
      throw new IllegalStateException("updater state does not match the network's updater");
    }
    ReplicaSums total = new ReplicaSums();
    total.firstWorker = 0;
    total.lastWorker = -1;
    for (ReplicaSums part : sorted) {
      if (part == sorted.get(0)) {
        part.params.copyInto(params);
        if (updater != null) {
          part.updater.copyInto(updater);
        }
      } else {
        part.params.copyInto(paramsScratch);
        params.addi(paramsScratch);
        if (updater != null) {
          part.updater.copyInto(updaterScratch);
          updater.addi(updaterScratch);
        }
      }
      total.addScalars(part);
    }
    return total;
  }

  /** Sorted by first worker; fails unless the ranges are adjacent. */
  private static List<ReplicaSums> inOrder(Iterable<ReplicaSums> parts) {
    List<ReplicaSums> sorted = new ArrayList<>();
    parts.forEach(sorted::add);
    if (sorted.isEmpty()) {
      throw new IllegalStateException("no results to add");
    }
    sorted.sort(Comparator.comparingInt(r -> r.firstWorker));
    for (int i = 1; i < sorted.size(); i++) {
      if (sorted.get(i).firstWorker != sorted.get(i - 1).lastWorker + 1) {
        throw new IllegalStateException("results of workers " + sorted.get(i - 1).firstWorker + ".."
            + sorted.get(i - 1).lastWorker + " and " + sorted.get(i).firstWorker + ".." + sorted.get(i).lastWorker
            + " are not adjacent (a worker's result is missing or repeated)");
      }
    }
    return sorted;
  }

  private void addScalars(ReplicaSums other) {
    lastWorker = other.lastWorker;
    bitsTimesTokens += other.bitsTimesTokens;
    tokens += other.tokens;
    sequences += other.sequences;
    nonFiniteSteps += other.nonFiniteSteps;
    maxTrainNanos = Math.max(maxTrainNanos, other.maxTrainNanos);
    maxSetupNanos = Math.max(maxSetupNanos, other.maxSetupNanos);
    maxEncodeNanos = Math.max(maxEncodeNanos, other.maxEncodeNanos);
    maxTaskNanos = Math.max(maxTaskNanos, other.maxTaskNanos);
    firstStartMillis = Math.min(firstStartMillis, other.firstStartMillis);
    lastEndMillis = Math.max(lastEndMillis, other.lastEndMillis);
    positions.putAll(other.positions);
    stateFallbacks += other.stateFallbacks;
    locations.putAll(other.locations);
  }

  /** First worker of the range. */
  int firstWorker() {
    return firstWorker;
  }

  /** Number of workers summed. */
  public int replicas() {
    return lastWorker - firstWorker + 1;
  }

  /** Encoded size of the arrays in bytes. */
  long bytes() {
    return params.bytes() + (updater == null ? 0 : updater.bytes());
  }

  /** Token-weighted mean training loss of the round over all workers, in bits per token. */
  public double meanBits() {
    return tokens == 0 ? Double.NaN : bitsTimesTokens / tokens;
  }

  public long tokens() {
    return tokens;
  }

  public long sequences() {
    return sequences;
  }

  /** Local steps whose loss was NaN or infinite, over all workers. */
  public int nonFiniteSteps() {
    return nonFiniteSteps;
  }

  /** Local training time of the slowest worker. */
  public double maxTrainSeconds() {
    return maxTrainNanos / 1e9;
  }

  /** Setup time (decode the broadcast state, start the data reader) of the slowest worker. */
  public double maxSetupSeconds() {
    return maxSetupNanos / 1e9;
  }

  /** Time to encode a result on a worker (and to add partial sums on an executor), the slowest. */
  public double maxEncodeSeconds() {
    return maxEncodeNanos / 1e9;
  }

  /** Wall-clock time (ms since the epoch) at which the first worker's task started its round. */
  public long firstStartMillis() {
    return firstStartMillis;
  }

  /** Wall-clock time at which the last worker finished encoding its result. */
  public long lastEndMillis() {
    return lastEndMillis;
  }

  /**
   * From the first worker's start to the last worker's end, minus the longest single worker's
   * setup + training + encoding: time lost because the workers did not run side by side (a straggler,
   * or fewer free cores than workers).
   */
  public double imbalanceSeconds() {
    return Math.max(0, (lastEndMillis - firstStartMillis) / 1e3 - maxTaskNanos / 1e9);
  }

  /** Workers that fell back to the last synchronised updater state this round (their own was missing). */
  public int stateFallbacks() {
    return stateFallbacks;
  }

  /** Each worker's executor as a Spark task location (null where unknown), by worker index. */
  public List<String> locations() {
    return java.util.Collections.unmodifiableList(new ArrayList<>(locations.values()));
  }

  /** Each worker's data position after the round (epoch, shard, row), by worker index. */
  public List<long[]> positions() {
    return List.copyOf(positions.values());
  }
}
