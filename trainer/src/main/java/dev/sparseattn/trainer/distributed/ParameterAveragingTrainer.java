package dev.sparseattn.trainer.distributed;

import dev.sparseattn.datasets.config.DataError;
import dev.sparseattn.datasets.manifest.Manifest;
import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.trainer.checkpoint.CheckpointStore;
import dev.sparseattn.trainer.checkpoint.TrainingState;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import dev.sparseattn.trainer.report.MetricsLog;
import dev.sparseattn.trainer.report.Progress;
import dev.sparseattn.trainer.train.GradientClipping;
import dev.sparseattn.trainer.train.LocalTrainer;
import dev.sparseattn.trainer.train.OptimConfig;
import dev.sparseattn.trainer.train.TrainConfig;
import dev.sparseattn.trainer.train.TrainedModel;
import dev.sparseattn.trainer.train.UnigramBaseline;
import dev.sparseattn.trainer.train.WarmupCosineSchedule;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Sgd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * Synchronous parameter averaging on Spark's own primitives: the driver holds the DL4J network; each
 * round it broadcasts the parameters, each of W workers (one Spark task each, over its
 * own disjoint shards, see {@link ShardAssignment}) takes k local steps from its saved data position
 * ({@link LocalSteps}), and the driver adds the results in worker order straight into the network's
 * parameters and updater state (with {@code aggregation-depth} > 1 and many workers, executors first
 * add groups of them) and divides by W. This is iterative parameter mixing (McDonald, Hall and
 * Mann 2010, "Distributed training strategies for the structured perceptron"), the synchronous
 * parameter averaging of Zhang, Choromanska and LeCun 2015 ("Deep learning with elastic averaging
 * SGD", the baseline they compare against) and the algorithm of DL4J's
 * {@code ParameterAveragingTrainingMaster} ("Distributed training with Spark", deeplearning4j.konduit.ai),
 * including its averaging of updater state.
 *
 * <p>Updater state between synchronisations: only the parameters travel every round (4 bytes a parameter
 * each way instead of 12 with Adam). Each worker keeps its own Adam moments in its replica on its
 * executor, and the moments are averaged like the parameters only in synchronisation rounds: every
 * {@code distributed.state-sync-every} rounds, at every checkpoint and in the last round
 * ({@link #syncRound}); the round after one starts every worker from the average. Between two
 * synchronisations the workers therefore run local Adam with periodically averaged parameters, as the
 * inner optimiser of DiLoCo does (Douillard et al. 2023, "DiLoCo: Distributed Low-Communication Training
 * of Language Models": each worker's AdamW state stays local, only parameters are communicated; local
 * SGD analysis: Stich 2019, "Local SGD converges fast and communicates little"); with
 * {@code state-sync-every = 1} this is exactly the averaging of the state every round of DL4J's
 * trainer, and with one worker any setting is single-machine training. Each task prefers the executor
 * that holds its worker's state ({@link #workersAt}); a worker that finds no state of its own for the
 * round's step (executor lost, task moved or retried) falls back to the last synchronised state, and
 * the round's {@code state_fallbacks} metric and a warning count it ({@link UpdaterSource}).
 *
 * <p>Two equivalences hold and are tested: with one worker the run is single-machine training
 * ({@link LocalTrainer}) with the same data and seed, bit for bit; with plain SGD, averaging every
 * step and equal batches, W workers take the step of single-machine SGD on the union of their batches
 * (the average of per-worker mean gradients is the mean gradient of the union), up to float rounding.
 *
 * <p>Checkpoints (every {@code train.checkpoint.every} steps, at round ends, and at the end) hold the
 * averaged network with its updater state, the step, every worker's data position, the smoothed loss
 * and the seed; the data order is a pure function of (seed, position), and no other randomness is
 * used in training, and results are added in a fixed order ({@link ReplicaSums}), so a resumed run
 * continues exactly as an uninterrupted one (bit-identical parameters, any number of workers). A NaN or infinite loss stops the run before anything from that round is saved.
 */
public final class ParameterAveragingTrainer {
  private static final Logger LOG = LoggerFactory.getLogger(ParameterAveragingTrainer.class);

  private final DistributedConfig config;
  private final TrainConfig train;
  private final JavaSparkContext spark;
  private final PrintStream out;
  private java.util.function.IntConsumer afterRound = round -> { };

  public ParameterAveragingTrainer(DistributedConfig config, JavaSparkContext spark, PrintStream out) {
    this.config = config;
    this.train = config.train();
    this.spark = spark;
    this.out = out;
  }

  /** Calls {@code hook} with the round's number after each round is applied (tests: simulating a lost executor). */
  ParameterAveragingTrainer onRoundEnd(java.util.function.IntConsumer hook) {
    this.afterRound = hook;
    return this;
  }

  /** The updater of every replica: Adam or plain SGD, with {@code train.optim}'s warm-up and cosine decay. */
  public static IUpdater updater(DistributedConfig config) {
    return updater(config, config.train().steps());
  }

  /** {@link #updater(DistributedConfig)} with the cosine decay ending at {@code totalSteps}. */
  static IUpdater updater(DistributedConfig config, int totalSteps) {
    OptimConfig o = config.train().optim();
    WarmupCosineSchedule lr = new WarmupCosineSchedule(o.learningRate(), o.warmupSteps(), totalSteps,
        o.minLrFraction());
    return switch (config.optimizer()) {
      case ADAM -> Adam.builder().learningRateSchedule(lr).beta1(o.beta1()).beta2(o.beta2()).epsilon(1e-8).build();
      case SGD -> new Sgd(lr);
    };
  }

  /**
   * Trains up to {@code train.steps} local steps per worker, writing one metrics line per round and,
   * with {@code checkpoints}, checkpoints; with {@code train.resume} it continues from the newest one.
   */
  public TrainedModel train(PreparedDataset data, MetricsLog metrics, CheckpointStore checkpoints) throws IOException {
    Manifest manifest = data.manifest();
    TransformerConfig arch = new LocalTrainer(train, out).architecture(manifest);
    int workers = config.workers();
    List<List<String>> trainShards = ShardAssignment.assignTraining(data, workers);
    List<List<String>> validationShards = ShardAssignment.assign(data, Split.VALIDATION, workers);
    int stepsPerEpoch = stepsPerEpoch(manifest, trainShards, train.batchSize() * train.gradAccumulation());
    int total = config.epochs() == 0 ? train.steps() : (int) Math.min(train.steps(), (long) config.epochs() * stepsPerEpoch);
    if (total < train.optim().warmupSteps()) {
      throw new DataError("distributed.epochs = " + config.epochs() + " is " + total + " steps of " + stepsPerEpoch
          + " per epoch, fewer than train.optim.warmup-steps (" + train.optim().warmupSteps() + ")");
    }

    Optional<CheckpointStore.Restored> from = train.resume() && checkpoints != null
        ? checkpoints.restore(arch, train.seed(), updater(config, total)) : Optional.empty();
    MultiLayerNetwork net;
    TrainingState start;
    if (from.isPresent()) {
      start = from.get().state();
      if (start.workers() == null || start.workers().size() != workers) {
        throw new DataError("checkpoint " + from.get().checkpoint().dir() + " was written with "
            + (start.workers() == null ? "no workers (a single-machine run)" : start.workers().size() + " workers")
            + "; resume needs distributed.workers = " + workers + " to match");
      }
      net = from.get().network();
      out.printf("resuming from %s (step %d)%n", from.get().checkpoint().dir(), start.step());
    } else {
      net = TransformerLM.build(arch, updater(config, total));
      List<TrainingState.DataPosition> origin = new ArrayList<>();
      for (int w = 0; w < workers; w++) {
        origin.add(new TrainingState.DataPosition(0, 0, 0));
      }
      start = new TrainingState(0, 0, 0, 0, 0, Double.NaN, train.seed(), origin);
      if (train.resume()) {
        LOG.info("resume: no checkpoint yet, starting from scratch");
      }
    }
    GradientClipping.apply(net, train.optim().gradientClip());
    UnigramBaseline unigram = UnigramBaseline.of(manifest.split(Split.TRAIN).tokenHistogram(),
        manifest.split(Split.VALIDATION).tokenHistogram(), data.tokenizer().padId());
    out.printf("model: %s, %,d parameters%n", arch, net.numParams());
    int rounds = roundsBefore(total, total, stepsPerEpoch);
    out.printf("distributed: %d workers x batch %d, averaging every %d steps, %d steps (%d rounds; an epoch is %d"
            + " steps), aggregation depth %d, prefetch %d, %s%n", workers, train.batchSize(), config.averagingFrequency(),
        total, rounds, stepsPerEpoch, config.aggregationDepth(), config.prefetch(), config.optimizer().name().toLowerCase());
    INDArray updaterView = ModelState.updaterState(net);
    checkResultSize(spark.getConf().getSizeAsBytes("spark.driver.maxResultSize", "1g"),
        (net.params().length() + (updaterView == null ? 0 : updaterView.length())) * net.params().dataType().width(),
        workers, config.aggregationDepth());

    int evalCap = train.evalSequences() == 0 ? 0 : (train.evalSequences() + workers - 1) / workers;
    RunSpec spec = new RunSpec(UUID.randomUUID().toString(), net.getLayerWiseConfigurations().toJson(), arch.toJson(),
        data.dir().toString(), RunSpec.encode(data.hadoopConf()), trainShards, validationShards, train.batchSize(),
        train.seed(), evalCap, config.prefetch(), train.documentMask(), train.gradAccumulation(), train.optim());
    Broadcast<RunSpec> specB = spark.broadcast(spec);
    JavaRDD<Integer> workerRdd = spark.parallelize(IntStream.range(0, workers).boxed().toList(), workers);

    List<long[]> positions = start.workers().stream()
        .map(p -> new long[] {p.epoch(), p.shard(), p.row()}).toList();
    Progress progress = new Progress(out, total, "step", start.step());
    long tokensSeen = start.tokensSeen();
    long tokensThisRun = 0;
    double smoothed = start.smoothedBits();
    double outsideTotal = 0;
    double lastValidation = metrics.validationPoints().isEmpty() ? Double.NaN
        : metrics.validationPoints().get(metrics.validationPoints().size() - 1).bits();
    int step = (int) start.step();
    int round = roundsBefore(step, total, stepsPerEpoch);
    INDArray[] scratch = new INDArray[2];
    boolean keepsState = updaterView != null;
    Broadcast<FlatArray> synced = null;   // the last synchronised updater state, read by workers that need it
    boolean loadSynced = true;            // the first round of a run starts from the driver's state
    int fallbacks = 0;
    try {
      while (step < total) {
        int n = roundLength(step, total, stepsPerEpoch);
        boolean syncRound = keepsState && syncRound(round + 1, step + n, n, total, checkpoints != null);
        long t0 = System.nanoTime();
        ModelState state = ModelState.of(net.params());
        updaterView = ModelState.updaterState(net);
        FlatArray syncedState = loadSynced && keepsState ? FlatArray.of(updaterView) : null;
        long t1 = System.nanoTime();
        if (syncedState != null) {
          if (synced != null) {
            synced.destroy();
          }
          synced = spark.broadcast(syncedState);
        }
        Broadcast<RoundInput> roundB = spark.broadcast(new RoundInput(state, step, net.getEpochCount(), n, positions,
            loadSynced, syncRound));
        long t2 = System.nanoTime();
        long t2Millis = System.currentTimeMillis();
        List<ReplicaSums> results = aggregate(workerRdd.mapPartitions(new LocalSteps(specB, roundB, synced)));
        long t3 = System.nanoTime();
        long t3Millis = System.currentTimeMillis();
        roundB.destroy();
        int first = step + 1;
        step += n;
        round++;
        INDArray params = net.params();
        INDArray view = syncRound ? updaterView : null;
        if (workers > 1 && scratch[0] == null) {
          scratch[0] = Nd4j.createUninitialized(params.dataType(), params.shape(), 'c');
        }
        if (workers > 1 && view != null && scratch[1] == null) {
          scratch[1] = Nd4j.createUninitialized(view.dataType(), view.shape(), 'c');
        }
        // the network's arrays are overwritten by the sums: on divergence the run stops without saving anything
        ReplicaSums sums = ReplicaSums.addInto(results, workers, params, view, scratch[0], scratch[1]);
        results = null;
        if (sums.nonFiniteSteps() > 0 || !Double.isFinite(sums.meanBits())) {
          throw diverged(checkpoints, String.format("training diverged in round %d (steps %d-%d): %d local step(s)"
              + " had a NaN or infinite loss", round, first, step, sums.nonFiniteSteps()));
        }
        params.divi(workers);
        if (view != null) {
          view.divi(workers);
        }
        double check = params.sumNumber().doubleValue();
        if (!Double.isFinite(check)) {
          throw diverged(checkpoints, String.format("training diverged in round %d (steps %d-%d): the averaged"
              + " parameters are not finite", round, first, step));
        }
        net.setIterationCount(step);
        positions = sums.positions();
        loadSynced = syncRound;
        workerRdd = workersAt(sums.locations());
        long t4 = System.nanoTime();
        afterRound.accept(round);
        if (sums.stateFallbacks() > 0) {
          fallbacks += sums.stateFallbacks();
          String warning = String.format("warning: round %d: %d worker(s) found no updater state of their own (executor"
              + " replaced or task retried) and fell back to the last synchronised state", round, sums.stateFallbacks());
          LOG.warn(warning);
          out.println(warning);
        }

        double bits = sums.meanBits();
        tokensSeen += sums.tokens();
        tokensThisRun += sums.tokens();
        smoothed = Double.isNaN(smoothed) ? bits : 0.9 * smoothed + 0.1 * bits;
        metrics.trainPoint(step, smoothed);
        double elapsed = progress.elapsedSeconds();
        double roundSeconds = (t4 - t0) / 1e9;
        double outside = Math.max(0, roundSeconds - sums.maxTrainSeconds());
        outsideTotal += outside;
        Double rate = net.getLearningRate(net.getnLayers() - 1);   // one schedule for all layers
        double lr = rate == null ? Double.NaN : rate;
        int epoch = step / stepsPerEpoch;
        metrics.write("train", "step", step, "round", round, "epoch", epoch, "loss_bits_per_token", bits,
            "smoothed_bits_per_token", smoothed, "learning_rate", lr, "tokens", tokensSeen,
            "tokens_per_s", tokensThisRun / elapsed, "elapsed_s", elapsed, "workers", sums.replicas(),
            "round_s", roundSeconds, "local_train_s", sums.maxTrainSeconds(), "outside_train_s", outside,
            "outside_train_fraction", outside / roundSeconds, "serialise_s", (t1 - t0) / 1e9,
            "broadcast_s", (t2 - t1) / 1e9, "worker_setup_s", sums.maxSetupSeconds(),
            "worker_encode_s", sums.maxEncodeSeconds(), "aggregate_s", Math.max(0, (t3 - t2) / 1e9
                - sums.maxTrainSeconds() - sums.maxSetupSeconds() - sums.maxEncodeSeconds()),
            "apply_s", (t4 - t3) / 1e9, "state_bytes", state.bytes() + (syncedState == null ? 0 : syncedState.bytes()),
            "result_bytes", state.bytes() + (syncRound ? updaterView.length() * updaterView.dataType().width() : 0),
            "state_sync", syncRound, "state_fallbacks", sums.stateFallbacks(),
            "launch_s", Math.max(0, sums.firstStartMillis() - t2Millis) / 1e3,
            "collect_s", Math.max(0, t3Millis - sums.lastEndMillis()) / 1e3, "imbalance_s", sums.imbalanceSeconds());
        if (crossed(step, n, train.logEvery()) || step == total) {
          progress.report(step, String.format("round %d | loss %.3f bits/token | lr %.2e | %,.0f tok/s | outside"
              + " local training %.0f%%", round, smoothed, lr, tokensThisRun / elapsed, 100 * outside / roundSeconds));
        }
        boolean epochEnd = step % stepsPerEpoch == 0;
        if (crossed(step, n, train.evalEvery()) || step == total || epochEnd) {
          double[] v = evaluate(specB, workerRdd, net, validationShards);
          lastValidation = v[0];
          metrics.validationPoint(step, lastValidation);
          metrics.write("validation", "step", step, "epoch", epoch, "epoch_end", epochEnd, "bits_per_token",
              lastValidation, "tokens", (long) v[1], "elapsed_s", progress.elapsedSeconds(), "distributed", true);
          out.printf("validation at step %d%s: %.3f bits/token over %,d tokens (unigram baseline %.3f, uniform %.3f)%n",
              step, epochEnd ? " (end of epoch " + epoch + ")" : "", lastValidation, (long) v[1],
              unigram.crossEntropyBits(), Math.log(arch.vocabSize() - 1) / Math.log(2));
        }
        if (checkpoints != null && (crossed(step, n, train.checkpoint().every()) || step == total)) {
          List<TrainingState.DataPosition> ps = positions.stream()
              .map(p -> new TrainingState.DataPosition(p[0], (int) p[1], (int) p[2])).toList();
          checkpoints.save(net, arch, new TrainingState(step, ps.get(0).epoch(), ps.get(0).shard(), ps.get(0).row(),
              tokensSeen, smoothed, train.seed(), ps));
        }
      }
    } finally {
      specB.destroy();
      if (synced != null) {
        synced.destroy();
      }
    }
    double wall = progress.elapsedSeconds();
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("steps", total);
    summary.put("rounds", rounds);
    summary.put("steps_per_epoch", stepsPerEpoch);
    summary.put("epochs", (double) total / stepsPerEpoch);
    summary.put("workers", workers);
    summary.put("averaging_frequency", config.averagingFrequency());
    summary.put("validation_bits_per_token", lastValidation);
    summary.put("unigram_entropy_bits", unigram.entropyBits());
    summary.put("unigram_cross_entropy_bits", unigram.crossEntropyBits());
    summary.put("tokens_seen", tokensSeen);
    summary.put("train_seconds", wall);
    summary.put("tokens_per_s", tokensThisRun / wall);
    summary.put("outside_train_seconds", outsideTotal);
    summary.put("outside_train_fraction", wall == 0 ? 0 : outsideTotal / wall);
    summary.put("state_sync_every", config.stateSyncEvery());
    summary.put("state_fallbacks", fallbacks);
    summary.put("parameters", net.numParams());
    summary.put("seed", train.seed());
    summary.put("tokenizer", manifest.tokenizer().get("name"));
    out.printf("done: %d steps (%d rounds x %d workers) in %s; validation %.3f bits/token; unigram %.3f;"
            + " %.0f%% of the time outside local training%n", total, rounds, workers,
        Progress.format(wall), lastValidation, unigram.crossEntropyBits(), 100 * outsideTotal / Math.max(wall, 1e-9));
    return new TrainedModel(net, arch, manifest.tokenizer(), summary);
  }

  /**
   * Runs the round's tasks and brings their results to the driver. With {@code aggregation-depth} d > 1
   * and enough workers, executors first add results in groups of contiguous workers (fan-in
   * {@code ceil(W^(1/d))}, the same rule as Spark's {@code treeAggregate} for whether a level pays),
   * so the driver receives fewer, larger partial sums; which workers are added together, and in which
   * order, depends only on W and d ({@link ReplicaSums}).
   */
  private List<ReplicaSums> aggregate(JavaRDD<ReplicaSums> perWorker) {
    JavaRDD<ReplicaSums> parts = perWorker;
    int workers = config.workers();
    for (int g : groupSizes(workers, config.aggregationDepth())) {
      parts = parts.mapToPair(r -> new Tuple2<>(r.firstWorker() / g, r)).groupByKey((workers + g - 1) / g).values()
          .map(ReplicaSums::combine);
    }
    return parts.collect();
  }

  /**
   * The executor-side levels of the aggregation tree for W workers and depth d: per level, how many
   * consecutive workers each partial sum covers. A level is used only when it pays, by the rule of
   * Spark's {@code treeAggregate}: while more than {@code fanIn + ceil(count / fanIn)} results remain.
   */
  static List<Integer> groupSizes(int workers, int depth) {
    int fanIn = Math.max(2, (int) Math.ceil(Math.pow(workers, 1.0 / depth)));
    List<Integer> sizes = new ArrayList<>();
    int count = workers;
    int group = 1;
    for (int level = 1; level < depth && count > fanIn + (count + fanIn - 1) / fanIn; level++) {
      group *= fanIn;
      count = (workers + group - 1) / group;
      sizes.add(group);
    }
    return sizes;
  }

  /** How many partial sums reach the driver for W workers and aggregation depth d. */
  static int resultsAtDriver(int workers, int depth) {
    List<Integer> sizes = groupSizes(workers, depth);
    return sizes.isEmpty() ? workers : (workers + sizes.get(sizes.size() - 1) - 1) / sizes.get(sizes.size() - 1);
  }

  /**
   * Fails before training when the results of a round would exceed {@code spark.driver.maxResultSize}
   * ({@code limit} bytes, 0 for no limit): Spark would abort the first round otherwise.
   */
  static void checkResultSize(long limit, long stateBytes, int workers, int depth) {
    int results = resultsAtDriver(workers, depth);
    long perRound = results * stateBytes;
    if (limit > 0 && perRound > limit) {
      throw new DataError(String.format("each round brings %d result(s) of %,d bytes (parameters and updater state)"
              + " to the driver, %,d bytes in all, above spark.driver.maxResultSize (%,d): set it higher (e.g."
              + " --conf spark.driver.maxResultSize=%dm, and give the driver the memory) or raise"
              + " distributed.aggregation-depth", results, stateBytes, perRound, limit, perRound / (1 << 20) + 64));
    }
  }

  /**
   * Local steps per epoch: the batches needed by the worker with the most rows to go once through its
   * shards; after them every worker has seen all of its data.
   */
  static int stepsPerEpoch(Manifest manifest, List<List<String>> trainShards, int batchSize) {
    Map<String, Long> rows = new java.util.HashMap<>();
    manifest.split(Split.TRAIN).shards().forEach(s -> rows.put(s.path(), s.rows()));
    long most = trainShards.stream().mapToLong(mine -> mine.stream().mapToLong(rows::get).sum()).max().orElse(0);
    return (int) Math.max(1, (most + batchSize - 1) / batchSize);
  }

  /** Steps of the round starting at {@code step}: the averaging frequency, cut at epoch ends and the last step. */
  private int roundLength(int step, int total, int stepsPerEpoch) {
    return Math.min(Math.min(config.averagingFrequency(), total - step), stepsPerEpoch - step % stepsPerEpoch);
  }

  /** Rounds completed before {@code step} (a round boundary). */
  private int roundsBefore(int step, int total, int stepsPerEpoch) {
    int rounds = 0;
    for (int s = 0; s < step; s += roundLength(s, total, stepsPerEpoch)) {
      rounds++;
    }
    return rounds;
  }

  /** Distributed evaluation of the network on the validation split: {bits per token, tokens, sequences}. */
  private double[] evaluate(Broadcast<RunSpec> specB, JavaRDD<Integer> workerRdd, MultiLayerNetwork net,
                            List<List<String>> shards) {
    Broadcast<RoundInput> stateB = spark.broadcast(new RoundInput(ModelState.of(net.params()),
        net.getIterationCount(), net.getEpochCount(), 0, List.of(), false, false));
    try {
      double[] sum = workerRdd.mapPartitions(new ShardEvaluation(specB, stateB, shards))
          .reduce((a, b) -> new double[] {a[0] + b[0], a[1] + b[1], a[2] + b[2]});
      return new double[] {sum[1] == 0 ? Double.NaN : sum[0] / sum[1] / Math.log(2), sum[1], sum[2]};
    } finally {
      stateB.destroy();
    }
  }

  /**
   * Whether round {@code round} (1-based), of {@code n} steps ending at {@code end}, averages the updater
   * state too: every {@code distributed.state-sync-every} rounds, at every checkpoint and at the last step,
   * so checkpoints and the final model hold the averaged state and a resumed run (which starts every worker
   * from the checkpoint's state) continues exactly as an uninterrupted one. A pure function of the round.
   */
  boolean syncRound(int round, int end, int n, int total, boolean checkpointing) {
    int every = config.stateSyncEvery();
    return (every > 0 && round % every == 0) || end == total
        || (checkpointing && crossed(end, n, train.checkpoint().every()));
  }

  /**
   * The workers' partitions (partition w holds worker w) with each worker's executor as its preferred
   * location ({@code executor_<host>_<id>}, which Spark's scheduler reads as an executor-cache location
   * and serves process-local), so a worker's next round runs where its updater state is; a worker whose
   * executor is gone is scheduled anywhere and falls back ({@link UpdaterSource}).
   */
  private JavaRDD<Integer> workersAt(List<String> locations) {
    List<Tuple2<Integer, scala.collection.Seq<String>>> items = new ArrayList<>();
    for (int w = 0; w < locations.size(); w++) {
      List<String> at = locations.get(w) == null ? List.of() : List.of(locations.get(w));
      items.add(new Tuple2<>(w, scala.collection.JavaConverters.asScalaBuffer(at).toSeq()));
    }
    return spark.sc().makeRDD(scala.collection.JavaConverters.asScalaBuffer(items).toSeq(),
        scala.reflect.ClassTag$.MODULE$.apply(Integer.class)).toJavaRDD();
  }

  /** Whether a round of {@code n} steps ending at {@code step} reached a multiple of {@code every}. */
  static boolean crossed(int step, int n, int every) {
    return every > 0 && step / every > (step - n) / every;
  }

  private static IllegalStateException diverged(CheckpointStore checkpoints, String what) throws IOException {
    Optional<CheckpointStore.Checkpoint> last = checkpoints == null ? Optional.empty() : checkpoints.latest();
    return new IllegalStateException(what + "; nothing of this round was saved; "
        + last.map(c -> "the last good checkpoint is " + c.dir() + " (step " + c.step() + ")")
            .orElse("there is no checkpoint")
        + "; try a lower train.optim.learning-rate or train.optim.gradient-clip");
  }
}
