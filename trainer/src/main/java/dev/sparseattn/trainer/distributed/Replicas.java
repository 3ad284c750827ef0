package dev.sparseattn.trainer.distributed;

import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * The model replicas of one executor JVM, kept between rounds of a run so that a round costs a state
 * copy instead of a network construction. One replica per worker index (tasks of different workers may
 * run concurrently in one JVM); a new run id drops the previous run's replicas. A replica's content is
 * fully overwritten every round (parameters, updater state, iteration count), so reusing one can never
 * change results.
 */
final class Replicas {
  /** One worker's network, the dataset and the architecture. */
  record Replica(MultiLayerNetwork net, PreparedDataset data, TransformerConfig arch) {
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
      return new Replica(net, data, TransformerConfig.fromJson(spec.architectureJson()));
    });
  }
}
