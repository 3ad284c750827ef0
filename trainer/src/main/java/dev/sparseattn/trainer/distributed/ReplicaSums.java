package dev.sparseattn.trainer.distributed;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.util.List;
import java.util.TreeMap;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What one round of local training returns, summed over replicas: the sums of the replicas'
 * parameters and updater states (the driver divides by {@link #replicas()} for the average), the
 * token-weighted training loss, each worker's new data position and the slowest worker's times.
 *
 * <p>This is the value of Spark's {@code treeAggregate}: {@link #merge} is both its sequence and its
 * combine operation and adds arrays in place with ND4J ops. An empty instance is the zero value. Sums
 * of two operands are exact regardless of order (IEEE addition is commutative), so with up to two
 * workers the average is independent of the order in which Spark merges results; with more workers
 * the order Spark merges in may change the average in the last bits.
 */
public final class ReplicaSums implements Serializable {
  private static final long serialVersionUID = 1L;

  private transient INDArray params;
  private transient INDArray updater;
  private int replicas;
  private double bitsTimesTokens;
  private long tokens;
  private long sequences;
  private int nonFiniteSteps;
  private long maxTrainNanos;
  private long maxSetupNanos;
  private final TreeMap<Integer, long[]> positions = new TreeMap<>();

  /** The zero of the aggregation. */
  public ReplicaSums() {}

  /** One worker's result; the arrays are copied. */
  static ReplicaSums of(int worker, INDArray params, INDArray updater, double bitsTimesTokens, long tokens,
                        long sequences, int nonFiniteSteps, long setupNanos, long trainNanos, long[] position) {
    ReplicaSums s = new ReplicaSums();
    s.params = params.dup();
    s.updater = updater == null ? null : updater.dup();
    s.replicas = 1;
    s.bitsTimesTokens = bitsTimesTokens;
    s.tokens = tokens;
    s.sequences = sequences;
    s.nonFiniteSteps = nonFiniteSteps;
    s.maxSetupNanos = setupNanos;
    s.maxTrainNanos = trainNanos;
    s.positions.put(worker, position);
    return s;
  }

  /** Adds {@code other} into this (in place) and returns this. */
  public ReplicaSums merge(ReplicaSums other) {
    if (other.replicas == 0) {
      return this;
    }
    if (replicas == 0) {
      params = other.params;
      updater = other.updater;
    } else {
      params.addi(other.params);
      if (updater != null) {
        updater.addi(other.updater);
      }
    }
    replicas += other.replicas;
    bitsTimesTokens += other.bitsTimesTokens;
    tokens += other.tokens;
    sequences += other.sequences;
    nonFiniteSteps += other.nonFiniteSteps;
    maxTrainNanos = Math.max(maxTrainNanos, other.maxTrainNanos);
    maxSetupNanos = Math.max(maxSetupNanos, other.maxSetupNanos);
    other.positions.forEach(positions::put);
    return this;
  }

  /** The average parameters (divides the sums in place: call once). */
  public INDArray meanParams() {
    return params.divi(replicas);
  }

  /** The average updater state, or null (divides the sums in place: call once). */
  public INDArray meanUpdaterState() {
    return updater == null ? null : updater.divi(replicas);
  }

  public int replicas() {
    return replicas;
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

  /** Setup time (decode the broadcast state, seek the data) of the slowest worker. */
  public double maxSetupSeconds() {
    return maxSetupNanos / 1e9;
  }

  /** Each worker's data position after the round (epoch, shard, row), by worker index. */
  public List<long[]> positions() {
    return List.copyOf(positions.values());
  }

  private void writeObject(ObjectOutputStream out) throws IOException {
    out.defaultWriteObject();
    out.writeObject(params == null ? null : FlatArray.of(params));
    out.writeObject(updater == null ? null : FlatArray.of(updater));
  }

  private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
    in.defaultReadObject();
    FlatArray p = (FlatArray) in.readObject();
    FlatArray u = (FlatArray) in.readObject();
    params = p == null ? null : p.toArray();
    updater = u == null ? null : u.toArray();
  }
}
