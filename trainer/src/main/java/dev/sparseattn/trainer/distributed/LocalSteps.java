package dev.sparseattn.trainer.distributed;

import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.train.OptimizerStep;
import dev.sparseattn.trainer.train.SequenceBatches;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One round on one worker (a Spark task over a partition holding the worker's index): load the
 * broadcast parameters into the worker's replica, choose its updater state ({@link UpdaterSource}: the
 * last synchronised state after a synchronisation, else its own from the previous round, else, counted
 * and logged, the last synchronised one), take {@code k} local optimiser steps ({@link OptimizerStep}:
 * each of {@code train.grad-accumulation} micro-batches, with decoupled weight decay) on the worker's own
 * stream of its shards from its data position (read ahead by {@link RoundBatches} when
 * {@code distributed.prefetch > 0}), and return the new parameters (and the updater state in a synchronisation round), position and loss
 * sums. This is the inner loop of iterative parameter mixing (McDonald et al. 2010) as in
 * DL4J's {@code ParameterAveragingTrainingWorker}.
 */
final class LocalSteps implements FlatMapFunction<Iterator<Integer>, ReplicaSums> {
  private static final long serialVersionUID = 1L;
  private static final double LN2 = Math.log(2);
  private static final Logger LOG = LoggerFactory.getLogger(LocalSteps.class);

  private final Broadcast<RunSpec> spec;
  private final Broadcast<RoundInput> round;
  private final Broadcast<FlatArray> synced;   // the last synchronised updater state; null without one (SGD)

  LocalSteps(Broadcast<RunSpec> spec, Broadcast<RoundInput> round, Broadcast<FlatArray> synced) {
    this.spec = spec;
    this.round = round;
    this.synced = synced;
  }

  @Override
  public Iterator<ReplicaSums> call(Iterator<Integer> workers) {
    List<ReplicaSums> out = new ArrayList<>();
    while (workers.hasNext()) {
      out.add(train(workers.next()));
    }
    return out.iterator();
  }

  private ReplicaSums train(int worker) {
    long t0 = System.nanoTime();
    long startMillis = System.currentTimeMillis();
    TaskDevice.bind();
    RunSpec s = spec.value();
    RoundInput in = round.value();
    Replicas.Replica replica = Replicas.get(s, worker);
    synchronized (replica) {   // two attempts of one worker's task in one JVM (speculation) take turns
      return train(worker, s, in, replica, t0, startMillis);
    }
  }

  private ReplicaSums train(int worker, RunSpec s, RoundInput in, Replicas.Replica replica, long t0,
                            long startMillis) {
    MultiLayerNetwork net = replica.net();
    in.state().applyParamsTo(net);
    int fallbacks = 0;
    INDArray view = ModelState.updaterState(net);
    if ((view == null) != (synced == null)) {
      throw new IllegalStateException("updater state does not match the network's updater");
    }
    if (view != null) {
      UpdaterSource source = UpdaterSource.choose(in.loadSynced(), replica.heldAt().get(), in.iteration());
      if (source != UpdaterSource.LOCAL) {
        synced.value().copyInto(view);
      }
      if (source == UpdaterSource.FALLBACK) {
        fallbacks = 1;
        LOG.warn("worker {} has no updater state for step {} on executor {} (it holds {}): the executor was"
                + " replaced or the task retried; falling back to the last synchronised state", worker,
            in.iteration(), location(), replica.heldAt().get());
      }
    }
    replica.heldAt().set(UpdaterSource.NONE);   // until this round completes
    net.setIterationCount(in.iteration());
    net.setEpochCount(in.epochCount());
    long[] p = in.positions().get(worker);
    SequenceBatches.Position from = new SequenceBatches.Position(p[0], (int) p[1], (int) p[2]);
    int padId = replica.data().tokenizer().padId();
    double bitsTimesTokens = 0;
    long tokens = 0;
    long sequences = 0;
    int nonFinite = 0;
    long t1;
    long t2;
    SequenceBatches.Position end;
    try (RoundBatches batches = new RoundBatches(
        () -> SequenceBatches.training(replica.data(), replica.shards(s.trainShards().get(worker)), s.batchSize(),
            s.seed(), from),
        (rows, segments) -> TransformerLM.toDataSet(replica.arch(), rows, s.documentMask() ? segments : null, padId,
            DataType.FLOAT), in.steps() * s.gradAccumulation(), s.prefetch(),
        "sparseattn-prefetch-worker-" + worker)) {
      t1 = System.nanoTime();
      OptimizerStep optimizer = new OptimizerStep(net, s.optim());
      List<DataSet> micro = new ArrayList<>(s.gradAccumulation());
      for (int i = 0; i < in.steps(); i++) {
        micro.clear();
        long stepTargets = 0;
        for (int m = 0; m < s.gradAccumulation(); m++) {
          RoundBatches.Batch batch = batches.next();
          micro.add(batch.data());
          stepTargets += batch.targets();
          sequences += batch.sequences();
        }
        double bits = optimizer.step(micro).meanTokenLoss() / LN2;
        if (Double.isFinite(bits)) {
          bitsTimesTokens += bits * stepTargets;
        } else {
          nonFinite++;
        }
        tokens += stepTargets;
      }
      t2 = System.nanoTime();
      end = batches.position();
    }
    replica.heldAt().set((long) in.iteration() + in.steps());
    return ReplicaSums.of(worker, net.params(), in.returnState() ? view : null, bitsTimesTokens, tokens, sequences,
        nonFinite, t1 - t0, t2 - t1, new long[] {end.epoch(), end.shard(), end.row()}, startMillis, fallbacks,
        location());
  }

  /**
   * This executor as a task location ({@code executor_<host>_<id>}, Spark's {@code ExecutorCacheTaskLocation}
   * form), so the driver can send the worker's next round where its state is.
   */
  static String location() {
    SparkEnv env = SparkEnv.get();
    return env == null ? null : "executor_" + env.blockManager().blockManagerId().host() + "_" + env.executorId();
  }
}
