package dev.sparseattn.trainer.distributed;

import dev.sparseattn.datasets.fs.HadoopConfBytes;
import dev.sparseattn.trainer.train.OptimConfig;
import java.io.Serializable;
import java.util.List;
import org.apache.hadoop.conf.Configuration;

/**
 * What every worker needs for the whole run, broadcast once: the network configuration (DL4J JSON,
 * with the updater, its learning-rate schedule and gradient clipping, so a replica is the driver's
 * network exactly), the architecture, where the data is (with the driver's Hadoop configuration, so
 * executors reach the same file systems), each worker's shards and the batch settings.
 *
 * @param runId identifies the run, so executors can reuse a replica across rounds of the same run
 * @param networkJson {@code MultiLayerConfiguration} JSON of the driver's network
 * @param architectureJson {@code TransformerConfig} JSON
 * @param dataUri the prepared dataset's directory
 * @param hadoopConf the driver's Hadoop configuration, as written by {@link Configuration#write}
 * @param trainShards per worker, its train shards (manifest-relative paths)
 * @param validationShards per worker, its validation shards
 * @param batchSize sequences per local step
 * @param seed data-order seed
 * @param evalSequencesPerWorker cap of sequences per worker and evaluation, 0 for all
 * @param prefetch minibatches each worker's reader prepares ahead of training, 0 for none
 * @param gradAccumulation micro-batches of {@code batchSize} per local step
 * @param optim the optimiser settings the network's configuration does not hold (weight decay)
 */
public record RunSpec(String runId, String networkJson, String architectureJson, String dataUri, byte[] hadoopConf,
                      List<List<String>> trainShards, List<List<String>> validationShards, int batchSize,
                      long seed, int evalSequencesPerWorker, int prefetch, boolean documentMask,
                      int gradAccumulation, OptimConfig optim) implements Serializable {

  /** Serialises a Hadoop configuration (all properties, defaults included). */
  static byte[] encode(Configuration conf) {
    return HadoopConfBytes.encode(conf);
  }

  /** The driver's Hadoop configuration, rebuilt on an executor. */
  Configuration hadoopConfiguration() {
    return HadoopConfBytes.decode(hadoopConf);
  }
}
