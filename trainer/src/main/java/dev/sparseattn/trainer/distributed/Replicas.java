package dev.sparseattn.trainer.distributed;

import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * The model replicas of one executor JVM, kept between rounds of a run so that a round costs a state
 * copy instead of a network construction. One replica per worker index (tasks of different workers may
 * run concurrently in one JVM); a new run id drops the previous run's replicas. Parameters and the
 * iteration count are overwritten every round. The updater state is overwritten in rounds that start
 * from the synchronised state; in between it is the worker's own, and {@link Replica#heldAt} records the
 * global step it belongs to, so that a round uses it only if it is this worker's state at the round's
 * first step ({@link UpdaterSource}). The key is thus (run id, worker index, step).
 */
final class Replicas {
  /**
   * One worker's network, the dataset, the architecture, and the step the network's updater state
   * belongs to ({@link UpdaterSource#NONE} when it holds none, e.g. while a round is under way).
   */
  record Replica(MultiLayerNetwork net, PreparedDataset data, TransformerConfig arch, AtomicLong heldAt) {
    List<Path> shards(List<String> relative) {
      return relative.stream().map(p -> new Path(data.dir(), p)).toList();
    }
  }

  private static String runId;
  private static final Map<Integer, Replica> BY_WORKER = new HashMap<>();

  private Replicas() {}

  /** The replica of {@code worker} for the run, building it on first use in this JVM. */
  static synchronized Replica get(RunSpec spec, int worker) {
    if (!spec.runId().equals(runId)) {
      BY_WORKER.clear();
      runId = spec.runId();
    }
    return BY_WORKER.computeIfAbsent(worker, w -> {
      MultiLayerNetwork net = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(spec.networkJson()));
      net.init();
      PreparedDataset data = PreparedDataset.open(spec.dataUri(), spec.hadoopConfiguration());
      return new Replica(net, data, TransformerConfig.fromJson(spec.architectureJson()),
          new AtomicLong(UpdaterSource.NONE));
    });
  }

  /**
   * Drops the updater state a worker's replica holds in this JVM, as if its executor had been replaced
   * (tests of the fallback path).
   */
  static synchronized void forgetState(int worker) {
    Replica r = BY_WORKER.get(worker);
    if (r != null) {
      r.heldAt().set(UpdaterSource.NONE);
    }
  }
}
