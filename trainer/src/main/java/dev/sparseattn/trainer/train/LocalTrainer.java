package dev.sparseattn.trainer.train;

import dev.sparseattn.datasets.manifest.Manifest;
import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.trainer.checkpoint.CheckpointStore;
import dev.sparseattn.trainer.checkpoint.TrainingState;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import dev.sparseattn.trainer.report.MetricsLog;
import dev.sparseattn.trainer.report.Progress;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a transformer language model on one machine from a prepared dataset: seeded batches from the
 * shards, Adam with warm-up and cosine decay, decoupled weight decay, gradient clipping and
 * accumulation ({@link OptimizerStep}), periodic validation. It
 * knows the model only through {@link TransformerLM}; the model knows nothing of this loop.
 */
public final class LocalTrainer {
  private static final Logger LOG = LoggerFactory.getLogger(LocalTrainer.class);

  private static final double LN2 = Math.log(2);

  private final TrainConfig config;
  private final PrintStream out;

  public LocalTrainer(TrainConfig config, PrintStream out) {
    this.config = config;
    this.out = out;
  }

  /** The architecture for a dataset: vocabulary and context length come from its manifest. */
  public TransformerConfig architecture(Manifest manifest) {
    return config.model().architecture(manifest.vocabSize(), manifest.seqLen(), config.seed());
  }

  /** Trains for {@code config.steps()} steps from scratch, writing metrics as it goes; no checkpoints. */
  public TrainedModel train(PreparedDataset data, MetricsLog metrics) throws IOException {
    return train(data, metrics, null);
  }

  /**
   * Trains up to {@code config.steps()} steps, writing metrics as it goes and, when {@code checkpoints}
   * is given, a checkpoint every {@code config.checkpoint().every()} steps and at the end. With
   * {@code config.resume()} it continues from the newest checkpoint: network, updater state, step, data
   * position and counters, so the run continues as if it had not been interrupted.
   */
  public TrainedModel train(PreparedDataset data, MetricsLog metrics, CheckpointStore checkpoints)
      throws IOException {
    Manifest manifest = data.manifest();
    int padId = data.tokenizer().padId();
    TransformerConfig arch = architecture(manifest);
    Optional<CheckpointStore.Restored> from = config.resume() && checkpoints != null
        ? checkpoints.restore(arch, config.seed(), updater(config)) : Optional.empty();
    MultiLayerNetwork net;
    TrainingState start;
    if (from.isPresent()) {
      net = from.get().network();
      start = from.get().state();
      out.printf("resuming from %s (step %d)%n", from.get().checkpoint().dir(), start.step());
    } else {
      net = TransformerLM.build(arch, updater(config));
      start = new TrainingState(0, 0, 0, 0, 0, Double.NaN, config.seed());
      if (config.resume()) {
        LOG.info("resume: no checkpoint yet, starting from scratch");
      }
    }
    GradientClipping.apply(net, config.optim().gradientClip());
    UnigramBaseline unigram = UnigramBaseline.of(manifest.split(Split.TRAIN).tokenHistogram(),
        manifest.split(Split.VALIDATION).tokenHistogram(), padId);
    out.printf("model: %s, %,d parameters%n", arch, net.numParams());
    out.printf("data: %,d train / %,d validation sequences of %d tokens; unigram entropy %.3f bits/token"
            + " (validation cross-entropy under it %.3f)%n",
        manifest.split(Split.TRAIN).sequences(), manifest.split(Split.VALIDATION).sequences(),
        manifest.seqLen(), unigram.entropyBits(), unigram.crossEntropyBits());

    SequenceBatches batches = SequenceBatches.training(data, config.batchSize(), config.seed(),
        new SequenceBatches.Position(start.epoch(), start.shard(), start.row()));
    Evaluator evaluator = new Evaluator(data, config.batchSize(), config.evalSequences(), config.documentMask());
    Progress progress = new Progress(out, config.steps(), "step", start.step());
    long tokensSeen = start.tokensSeen();
    long tokensThisRun = 0;
    double smoothed = start.smoothedBits();
    double lastValidation = metrics.validationPoints().isEmpty() ? Double.NaN
        : metrics.validationPoints().get(metrics.validationPoints().size() - 1).bits();
    OptimizerStep optimizer = new OptimizerStep(net, config.optim());
    Optional<TokenUnits> units = TokenUnits.of(data.tokenizer());
    List<DataSet> micro = new ArrayList<>(config.gradAccumulation());
    for (int step = (int) start.step() + 1; step <= config.steps(); step++) {
      micro.clear();
      for (int m = 0; m < config.gradAccumulation(); m++) {
        int[][] rows = batches.next();
        micro.add(TransformerLM.toDataSet(arch, rows, config.documentMask() ? batches.segments() : null, padId,
            DataType.FLOAT));
      }
      OptimizerStep.Result r = optimizer.step(micro);
      double targets = r.targets();
      double bits = r.meanTokenLoss() / LN2;
      if (!Double.isFinite(bits)) {
        throw new IllegalStateException(String.format(
            "training diverged at step %d: loss is %s (try a lower train.optim.learning-rate than %g)",
            step, bits, config.optim().learningRate()));
      }
      tokensSeen += (long) targets;
      tokensThisRun += (long) targets;
      smoothed = Double.isNaN(smoothed) ? bits : 0.9 * smoothed + 0.1 * bits;
      metrics.trainPoint(step, smoothed);
      double elapsed = progress.elapsedSeconds();
      Double rate = net.getLearningRate(net.getnLayers() - 1);   // one schedule for all layers
      double lr = rate == null ? Double.NaN : rate;
      metrics.write("train", "step", step, "loss_bits_per_token", bits, "smoothed_bits_per_token", smoothed,
          "learning_rate", lr, "tokens", tokensSeen, "tokens_per_s", tokensThisRun / elapsed, "elapsed_s", elapsed);
      if (step % config.logEvery() == 0 || step == config.steps()) {
        progress.report(step, String.format("loss %.3f bits/token | lr %.2e | %,.0f tok/s | epoch %d",
            smoothed, lr, tokensThisRun / elapsed, batches.epoch()));
      }
      if (step % config.evalEvery() == 0 || step == config.steps()) {
        Evaluator.Result v = evaluator.evaluate(net, arch, Split.VALIDATION);
        lastValidation = v.bitsPerToken();
        metrics.validationPoint(step, lastValidation);
        metrics.write("validation", "step", step, "bits_per_token", lastValidation,
            "tokens", v.tokens(), "elapsed_s", progress.elapsedSeconds());
        out.printf("validation at step %d: %.3f bits/token%s over %,d tokens (unigram baseline %.3f, uniform %.3f)%n",
            step, lastValidation, units.map(u -> String.format(" (%.3f bits/%s)", u.bitsPerUnit(v.bitsPerToken()),
                u.unit())).orElse(""), v.tokens(), unigram.crossEntropyBits(), Math.log(arch.vocabSize() - 1) / LN2);
      }
      if (checkpoints != null && (step % config.checkpoint().every() == 0 || step == config.steps())) {
        SequenceBatches.Position p = batches.position();
        checkpoints.save(net, arch, new TrainingState(step, p.epoch(), p.shard(), p.row(), tokensSeen,
            smoothed, config.seed()));
      }
    }
    double wall = progress.elapsedSeconds();
    Evaluator.Result trainEval = evaluator.evaluate(net, arch, Split.TRAIN);
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("steps", config.steps());
    summary.put("train_bits_per_token", trainEval.bitsPerToken());
    summary.put("validation_bits_per_token", lastValidation);
    summary.put("unigram_entropy_bits", unigram.entropyBits());
    summary.put("unigram_cross_entropy_bits", unigram.crossEntropyBits());
    summary.put("tokens_seen", tokensSeen);
    summary.put("train_seconds", wall);
    summary.put("tokens_per_s", tokensThisRun / wall);
    summary.put("parameters", net.numParams());
    summary.put("seed", config.seed());
    summary.put("tokenizer", manifest.tokenizer().get("name"));
    out.printf("done: %d steps in %s; train %.3f, validation %.3f bits/token; unigram %.3f%n",
        config.steps(), Progress.format(wall), trainEval.bitsPerToken(), lastValidation,
        unigram.crossEntropyBits());
    return new TrainedModel(net, arch, manifest.tokenizer(), summary);
  }

  /** Adam with the configured betas and the warm-up and cosine schedule. */
  static IUpdater updater(TrainConfig config) {
    OptimConfig o = config.optim();
    return Adam.builder()
        .learningRateSchedule(new WarmupCosineSchedule(o.learningRate(), o.warmupSteps(), config.steps(),
            o.minLrFraction()))
        .beta1(o.beta1())
        .beta2(o.beta2())
        .epsilon(1e-8)
        .build();
  }
}
