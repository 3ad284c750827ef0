package dev.sparseattn.trainer.distributed;

import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.train.OptimizerStep;
import dev.sparseattn.trainer.train.SequenceBatches;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;

/**
 * One round on one worker (a Spark task over a partition holding the worker's index): load the
 * broadcast state into the worker's replica, take {@code k} local optimiser steps ({@link OptimizerStep}:
 * each of {@code train.grad-accumulation} micro-batches, with decoupled weight decay) on the worker's own
 * stream of its shards from its data position (read ahead by {@link RoundBatches} when
 * {@code distributed.prefetch > 0}), and return the new parameters, updater state, position and loss sums. This is the inner loop of iterative parameter mixing (McDonald et al. 2010) as in
 * DL4J's {@code ParameterAveragingTrainingWorker}.
 */
final class LocalSteps implements FlatMapFunction<Iterator<Integer>, ReplicaSums> {
  private static final long serialVersionUID = 1L;
  private static final double LN2 = Math.log(2);

  private final Broadcast<RunSpec> spec;
  private final Broadcast<RoundInput> round;

  LocalSteps(Broadcast<RunSpec> spec, Broadcast<RoundInput> round) {
    this.spec = spec;
    this.round = round;
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
    MultiLayerNetwork net = replica.net();
    in.state().applyTo(net);
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
    return ReplicaSums.of(worker, net.params(), ModelState.updaterState(net), bitsTimesTokens, tokens, sequences,
        nonFinite, t1 - t0, t2 - t1, new long[] {end.epoch(), end.shard(), end.row()}, startMillis);
  }
}
