package dev.sparseattn.trainer.distributed;

import dev.sparseattn.trainer.train.Evaluator;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;

/**
 * Distributed evaluation: each worker loads the broadcast parameters and computes the exact summed
 * cross-entropy of its own shards of a split (in order, at most
 * {@link RunSpec#evalSequencesPerWorker()} sequences); the driver adds the sums, so bits per token
 * over the whole split are exact, not an average of averages.
 */
final class ShardEvaluation implements FlatMapFunction<Iterator<Integer>, double[]> {
  private static final long serialVersionUID = 1L;
  private static final double LN2 = Math.log(2);

  private final Broadcast<RunSpec> spec;
  private final Broadcast<RoundInput> state;
  private final List<List<String>> shards;

  ShardEvaluation(Broadcast<RunSpec> spec, Broadcast<RoundInput> state, List<List<String>> shards) {
    this.spec = spec;
    this.state = state;
    this.shards = shards;
  }

  /** Returns one {nats, tokens, sequences} per worker. */
  @Override
  public Iterator<double[]> call(Iterator<Integer> workers) {
    List<double[]> out = new ArrayList<>();
    while (workers.hasNext()) {
      int w = workers.next();
      if (shards.get(w).isEmpty()) {
        out.add(new double[3]);
        continue;
      }
      TaskDevice.bind();
      RunSpec s = spec.value();
      Replicas.Replica replica = Replicas.get(s, w);
      state.value().state().applyParamsTo(replica.net());   // the replica's own updater state stays
      Evaluator evaluator = new Evaluator(replica.data(), s.batchSize(), s.evalSequencesPerWorker(),
          s.documentMask());
      Evaluator.Result r = evaluator.evaluate(replica.net(), replica.arch(), replica.shards(shards.get(w)));
      out.add(r.tokens() == 0 ? new double[3]
          : new double[] {r.bitsPerToken() * LN2 * r.tokens(), r.tokens(), r.sequences()});
    }
    return out.iterator();
  }
}
