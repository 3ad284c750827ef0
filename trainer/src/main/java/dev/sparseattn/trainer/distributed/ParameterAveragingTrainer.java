package dev.sparseattn.trainer.distributed;

import dev.sparseattn.datasets.config.DataError;
import dev.sparseattn.datasets.manifest.Manifest;
import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.trainer.checkpoint.CheckpointStore;
import dev.sparseattn.trainer.checkpoint.TrainingState;
import dev.sparseattn.trainer.model.TransformerConfig;
import dev.sparseattn.trainer.model.TransformerLM;
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
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * Synchronous parameter averaging on Spark's own primitives: the driver holds the DL4J network; each
 * round it broadcasts parameters and updater state, each of W workers (one Spark task each, over its
 * own disjoint shards, see {@link ShardAssignment}) takes k local steps from its saved data position
 * ({@link LocalSteps}), and the driver averages parameters and updater states with
 * {@code treeAggregate} and loads the average. This is iterative parameter mixing (McDonald, Hall and
 * Mann 2010, "Distributed training strategies for the structured perceptron"), the synchronous
 * parameter averaging of Zhang, Choromanska and LeCun 2015 ("Deep learning with elastic averaging
 * SGD", the baseline they compare against) and the algorithm of DL4J's
 * {@code ParameterAveragingTrainingMaster} ("Distributed training with Spark", deeplearning4j.konduit.ai),
 * including its averaging of updater state.
 *
 * <p>Two equivalences hold and are tested: with one worker the run is single-machine training
 * ({@link LocalTrainer}) with the same data and seed, bit for bit; with plain SGD, averaging every
 * step and equal batches, W workers take the step of single-machine SGD on the union of their batches
 * (the average of per-worker mean gradients is the mean gradient of the union), up to float rounding.
 *
 * <p>Checkpoints (every {@code train.checkpoint.every} steps, at round ends, and at the end) hold the
 * averaged network with its updater state, the step, every worker's data position, the smoothed loss
 * and the seed; the data order is a pure function of (seed, position), and no other randomness is
 * used in training, so a resumed run continues exactly as an uninterrupted one (bit-identical
 * parameters; with more than two workers the order in which Spark adds the replicas may change the
 * last bits). A NaN or infinite loss stops the run before anything from that round is saved.
 */
public final class ParameterAveragingTrainer {
  private final DistributedConfig config;
  private final TrainConfig train;
  private final JavaSparkContext spark;
  private final PrintStream out;

  public ParameterAveragingTrainer(DistributedConfig config, JavaSparkContext spark, PrintStream out) {
    this.config = config;
    this.train = config.train();
    this.spark = spark;
    this.out = out;
  }

  /** The updater of every replica: Adam or plain SGD, with {@code train.optim}'s warm-up and cosine decay. */
  public static IUpdater updater(DistributedConfig config) {
    OptimConfig o = config.train().optim();
    WarmupCosineSchedule lr = new WarmupCosineSchedule(o.learningRate(), o.warmupSteps(), config.train().steps(),
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

    Optional<CheckpointStore.Restored> from = train.resume() && checkpoints != null
        ? checkpoints.restore(arch, train.seed()) : Optional.empty();
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
      net = TransformerLM.build(arch, updater(config));
      List<TrainingState.DataPosition> origin = new ArrayList<>();
      for (int w = 0; w < workers; w++) {
        origin.add(new TrainingState.DataPosition(0, 0, 0));
      }
      start = new TrainingState(0, 0, 0, 0, 0, Double.NaN, train.seed(), origin);
      if (train.resume()) {
        out.println("resume: no checkpoint yet, starting from scratch");
      }
    }
    GradientClipping.apply(net, train.optim().gradientClip());
    UnigramBaseline unigram = UnigramBaseline.of(manifest.split(Split.TRAIN).tokenHistogram(),
        manifest.split(Split.VALIDATION).tokenHistogram(), data.tokenizer().padId());
    out.printf("model: %s, %,d parameters%n", arch, net.numParams());
    out.printf("distributed: %d workers x batch %d, averaging every %d steps (%d rounds), treeAggregate depth %d, %s%n",
        workers, train.batchSize(), config.averagingFrequency(), config.rounds(), config.aggregationDepth(),
        config.optimizer().name().toLowerCase());

    int evalCap = train.evalSequences() == 0 ? 0 : (train.evalSequences() + workers - 1) / workers;
    RunSpec spec = new RunSpec(UUID.randomUUID().toString(), net.getLayerWiseConfigurations().toJson(), arch.toJson(),
        data.dir().toString(), RunSpec.encode(data.hadoopConf()), trainShards, validationShards, train.batchSize(),
        train.seed(), evalCap);
    Broadcast<RunSpec> specB = spark.broadcast(spec);
    JavaRDD<Integer> workerRdd = spark.parallelize(IntStream.range(0, workers).boxed().toList(), workers);

    List<long[]> positions = start.workers().stream()
        .map(p -> new long[] {p.epoch(), p.shard(), p.row()}).toList();
    Progress progress = new Progress(out, train.steps(), "step", start.step());
    long tokensSeen = start.tokensSeen();
    long tokensThisRun = 0;
    double smoothed = start.smoothedBits();
    double outsideTotal = 0;
    double lastValidation = metrics.validationPoints().isEmpty() ? Double.NaN
        : metrics.validationPoints().get(metrics.validationPoints().size() - 1).bits();
    int step = (int) start.step();
    int round = step / config.averagingFrequency();
    try {
      while (step < train.steps()) {
        int n = Math.min(config.averagingFrequency(), train.steps() - step);
        long t0 = System.nanoTime();
        ModelState state = ModelState.of(net);
        long t1 = System.nanoTime();
        Broadcast<RoundInput> roundB = spark.broadcast(new RoundInput(state, step, net.getEpochCount(), n, positions));
        long t2 = System.nanoTime();
        ReplicaSums sums = workerRdd.mapPartitions(new LocalSteps(specB, roundB))
            .treeAggregate(new ReplicaSums(), ReplicaSums::merge, ReplicaSums::merge, config.aggregationDepth());
        long t3 = System.nanoTime();
        roundB.destroy();
        int first = step + 1;
        step += n;
        round++;
        if (sums.nonFiniteSteps() > 0 || !Double.isFinite(sums.meanBits())) {
          throw diverged(checkpoints, String.format("training diverged in round %d (steps %d-%d): %d local step(s)"
              + " had a NaN or infinite loss", round, first, step, sums.nonFiniteSteps()));
        }
        INDArray meanParams = sums.meanParams();
        INDArray meanUpdater = sums.meanUpdaterState();
        double check = meanParams.sumNumber().doubleValue();
        if (!Double.isFinite(check)) {
          throw diverged(checkpoints, String.format("training diverged in round %d (steps %d-%d): the averaged"
              + " parameters are not finite", round, first, step));
        }
        net.params().assign(meanParams);
        INDArray view = ModelState.updaterState(net);
        if (view != null) {
          view.assign(meanUpdater);
        }
        net.setIterationCount(step);
        positions = sums.positions();
        long t4 = System.nanoTime();

        double bits = sums.meanBits();
        tokensSeen += sums.tokens();
        tokensThisRun += sums.tokens();
        smoothed = Double.isNaN(smoothed) ? bits : 0.9 * smoothed + 0.1 * bits;
        metrics.trainPoint(step, smoothed);
        double elapsed = progress.elapsedSeconds();
        double roundSeconds = (t4 - t0) / 1e9;
        double outside = Math.max(0, roundSeconds - sums.maxTrainSeconds());
        outsideTotal += outside;
        double lr = net.getLearningRate(1) == null ? Double.NaN : net.getLearningRate(1);
        metrics.write("train", "step", step, "round", round, "loss_bits_per_token", bits,
            "smoothed_bits_per_token", smoothed, "learning_rate", lr, "tokens", tokensSeen,
            "tokens_per_s", tokensThisRun / elapsed, "elapsed_s", elapsed, "workers", sums.replicas(),
            "round_s", roundSeconds, "local_train_s", sums.maxTrainSeconds(), "outside_train_s", outside,
            "outside_train_fraction", outside / roundSeconds, "serialise_s", (t1 - t0) / 1e9,
            "broadcast_s", (t2 - t1) / 1e9, "worker_setup_s", sums.maxSetupSeconds(),
            "aggregate_s", Math.max(0, (t3 - t2) / 1e9 - sums.maxTrainSeconds() - sums.maxSetupSeconds()),
            "apply_s", (t4 - t3) / 1e9, "state_bytes", state.bytes());
        if (crossed(step, n, train.logEvery()) || step == train.steps()) {
          progress.report(step, String.format("round %d | loss %.3f bits/token | lr %.2e | %,.0f tok/s | outside"
              + " local training %.0f%%", round, smoothed, lr, tokensThisRun / elapsed, 100 * outside / roundSeconds));
        }
        if (crossed(step, n, train.evalEvery()) || step == train.steps()) {
          double[] v = evaluate(specB, workerRdd, net, validationShards);
          lastValidation = v[0];
          metrics.validationPoint(step, lastValidation);
          metrics.write("validation", "step", step, "bits_per_token", lastValidation, "tokens", (long) v[1],
              "elapsed_s", progress.elapsedSeconds(), "distributed", true);
          out.printf("validation at step %d: %.3f bits/token over %,d tokens (unigram baseline %.3f, uniform %.3f)%n",
              step, lastValidation, (long) v[1], unigram.crossEntropyBits(), Math.log(arch.vocabSize() - 1) / Math.log(2));
        }
        if (checkpoints != null && (crossed(step, n, train.checkpoint().every()) || step == train.steps())) {
          List<TrainingState.DataPosition> ps = positions.stream()
              .map(p -> new TrainingState.DataPosition(p[0], (int) p[1], (int) p[2])).toList();
          checkpoints.save(net, arch, new TrainingState(step, ps.get(0).epoch(), ps.get(0).shard(), ps.get(0).row(),
              tokensSeen, smoothed, train.seed(), ps));
        }
      }
    } finally {
      specB.destroy();
    }
    double wall = progress.elapsedSeconds();
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("steps", train.steps());
    summary.put("rounds", config.rounds());
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
    summary.put("parameters", net.numParams());
    summary.put("seed", train.seed());
    summary.put("tokenizer", manifest.tokenizer().get("name"));
    out.printf("done: %d steps (%d rounds x %d workers) in %s; validation %.3f bits/token; unigram %.3f;"
            + " %.0f%% of the time outside local training%n", train.steps(), config.rounds(), workers,
        Progress.format(wall), lastValidation, unigram.crossEntropyBits(), 100 * outsideTotal / Math.max(wall, 1e-9));
    return new TrainedModel(net, arch, manifest.tokenizer(), summary);
  }

  /** Distributed evaluation of the network on the validation split: {bits per token, tokens, sequences}. */
  private double[] evaluate(Broadcast<RunSpec> specB, JavaRDD<Integer> workerRdd, MultiLayerNetwork net,
                            List<List<String>> shards) {
    Broadcast<RoundInput> stateB = spark.broadcast(new RoundInput(ModelState.of(net), net.getIterationCount(),
        net.getEpochCount(), 0, List.of()));
    try {
      double[] sum = workerRdd.mapPartitions(new ShardEvaluation(specB, stateB, shards))
          .reduce((a, b) -> new double[] {a[0] + b[0], a[1] + b[1], a[2] + b[2]});
      return new double[] {sum[1] == 0 ? Double.NaN : sum[0] / sum[1] / Math.log(2), sum[1], sum[2]};
    } finally {
      stateB.destroy();
    }
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
