package dev.sparseattn.trainer.distributed;

import com.typesafe.config.Config;
import dev.sparseattn.datasets.config.ResolvedConfig;
import dev.sparseattn.datasets.config.Section;
import dev.sparseattn.trainer.train.TrainConfig;

/**
 * Configuration of the {@code distributed-train} job: the whole {@code train} section (data, output,
 * model, optimiser schedule, batch size, steps, evaluation, seed, checkpoints, resume; read by
 * {@link TrainConfig#parse}) plus a {@code distributed} section:
 *
 * <pre>
 * distributed {
 *   workers = 2               # model replicas, one Spark task each, each with its own train shards
 *   averaging-frequency = 5   # local steps between two parameter averagings (k)
 *   aggregation-depth = 2     # depth of the aggregation tree (levels > 1 add groups of workers on executors)
 *   optimizer = adam          # adam | sgd (plain SGD, no momentum), both with train.optim's schedule
 *   prefetch = 2              # minibatches each worker's background reader prepares ahead, 0 = read inline
 *   epochs = 0                # stop after this many epochs (or train.steps, whichever is first); 0 = steps only
 *   state-sync-every = 1      # rounds between averagings of Adam's moments (kept on executors in between);
 *                             # 0 = only at checkpoints and at the end, 1 = every round with the parameters
 *   spark { master = "local[*]", app-name = "sparseattn-distributed-train" }
 * }
 * </pre>
 *
 * <p>In this job {@code train.batch-size} is the batch of each worker (the effective batch is
 * {@code workers * batch-size}), {@code train.steps} counts local steps of every worker (rounds =
 * steps / averaging-frequency, the last round possibly shorter); evaluation, logging and checkpoints
 * happen at the end of the round in which their step interval is reached. An epoch is
 * {@code ceil(rows of the largest worker share / batch-size)} local steps, the steps after which every
 * worker has been through all of its shards; rounds end at epoch boundaries, and validation runs
 * (distributed) at the end of every epoch as well as every {@code train.eval-every} steps.
 *
 * @param train the {@code train} section
 * @param workers number of workers W
 * @param averagingFrequency local steps per round k
 * @param aggregationDepth depth of the aggregation tree
 * @param optimizer the updater
 * @param prefetch minibatches read ahead by each worker, 0 for none
 * @param epochs epochs to train (the run also stops at {@code train.steps}), 0 for no epoch limit
 * @param stateSyncEvery rounds between two averagings of the updater state, 0 for only at checkpoints and the
 *     end (see {@link ParameterAveragingTrainer}); the state is always averaged in those rounds too
 * @param master Spark master, used only when spark-submit or the JVM did not set one
 * @param appName Spark application name
 * @param resolved the {@code distributed} section as read, defaults included
 */
public record DistributedConfig(TrainConfig train, int workers, int averagingFrequency, int aggregationDepth,
                                Optimizer optimizer, int prefetch, int epochs, int stateSyncEvery, String master,
                                String appName,
                                ResolvedConfig resolved) {

  /** The updater each replica uses (its state is averaged with the parameters). */
  public enum Optimizer { ADAM, SGD }

  /** Reads and validates the {@code train} and {@code distributed} sections; fails naming the key. */
  public static DistributedConfig parse(Config root) {
    TrainConfig train = TrainConfig.parse(root);
    Section s = new Section(root, "distributed");
    int workers = s.integer("workers", 2, 1, 4096);
    int k = s.integer("averaging-frequency", 5, 1, 1_000_000);
    s.check(k <= train.steps(), "averaging-frequency", "must not exceed train.steps (" + train.steps() + "), got " + k);
    int depth = s.integer("aggregation-depth", 2, 1, 16);
    Optimizer optimizer = s.choice("optimizer", Optimizer.class, Optimizer.ADAM);
    int prefetch = s.integer("prefetch", 2, 0, 1024);
    int epochs = s.integer("epochs", 0, 0, 1_000_000);
    int stateSyncEvery = s.integer("state-sync-every", 1, 0, 1_000_000);
    Section spark = s.section("spark");
    String master = spark.string("master", "local[*]");
    String appName = spark.string("app-name", "sparseattn-distributed-train");
    s.finish();
    return new DistributedConfig(train, workers, k, depth, optimizer, prefetch, epochs, stateSyncEvery, master, appName,
        s.resolved());
  }

  /** Number of averaging rounds without epoch boundaries: {@code ceil(steps / averagingFrequency)}. */
  public int rounds() {
    return (train.steps() + averagingFrequency - 1) / averagingFrequency;
  }
}
