package dev.sparseattn.trainer.train;

import com.typesafe.config.Config;
import dev.sparseattn.datasets.config.ResolvedConfig;
import dev.sparseattn.datasets.config.Section;

/**
 * Everything the {@code train} job needs, read from the {@code train} section of a job config.
 *
 * @param data directory holding {@code manifest.json} and the shards (any Hadoop file system)
 * @param output directory for the model, its resolved config, metrics and loss curve
 * @param overwrite whether an existing output directory may be replaced
 * @param model the model's size
 * @param optim optimiser settings
 * @param batchSize sequences per micro-batch
 * @param gradAccumulation micro-batches per optimiser step: their gradients are summed and applied
 *     once, so a step sees {@code batchSize * gradAccumulation} sequences
 * @param steps optimiser steps to run
 * @param evalEvery evaluate on the validation split every this many steps (and at the end)
 * @param evalSequences at most this many validation sequences per evaluation, 0 for all
 * @param logEvery print a progress line every this many steps
 * @param seed seeds parameter initialisation and data order
 * @param checkpoint when and where to write checkpoints
 * @param resume continue from the newest checkpoint if there is one (the output directory is kept)
 * @param documentMask packed documents attend within themselves (the shards' {@code segment_ids}), in training and
 *                     evaluation
 * @param allowOverlappingKmers train a causal model on overlapping k-mers anyway (see {@link KmerObjective})
 * @param resolved the configuration as read, defaults included
 */
public record TrainConfig(String data, String output, boolean overwrite, ModelShape model,
                          OptimConfig optim, int batchSize, int gradAccumulation, int steps, int evalEvery,
                          int evalSequences, int logEvery, long seed, CheckpointConfig checkpoint,
                          boolean resume, boolean documentMask, boolean allowOverlappingKmers,
                          ResolvedConfig resolved) {

  /** Reads and validates the {@code train} section; fails with a message naming the key. */
  public static TrainConfig parse(Config root) {
    Section s = new Section(root, "train");
    String data = s.string("data");
    String output = s.string("output");
    boolean overwrite = s.bool("overwrite", false);
    ModelShape model = ModelShape.parse(s.section("model"));
    OptimConfig optim = OptimConfig.parse(s.section("optim"));
    int batch = s.integer("batch-size", 16, 1, 1 << 16);
    int accumulation = s.integer("grad-accumulation", 1, 1, 1 << 16);
    int steps = s.integer("steps", 300, 1, Integer.MAX_VALUE);
    int evalEvery = s.integer("eval-every", 100, 1, Integer.MAX_VALUE);
    int evalSequences = s.integer("eval-sequences", 512, 0, Integer.MAX_VALUE);
    int logEvery = s.integer("log-every", 10, 1, Integer.MAX_VALUE);
    long seed = s.longValue("seed", 42, Long.MIN_VALUE, Long.MAX_VALUE);
    CheckpointConfig checkpoint = CheckpointConfig.parse(s.section("checkpoint"));
    boolean resume = s.bool("resume", false);
    boolean documentMask = s.bool("document-mask", true);
    boolean allowOverlappingKmers = s.bool("allow-overlapping-kmers", false);
    s.check(!resume || checkpoint.enabled(), "resume", "needs checkpoints: set train.checkpoint.every > 0");
    s.check(optim.warmupSteps() <= steps, "optim.warmup-steps",
        "must not exceed train.steps (" + steps + "), got " + optim.warmupSteps());
    s.finish();
    return new TrainConfig(data, output, overwrite, model, optim, batch, accumulation, steps, evalEvery,
        evalSequences, logEvery, seed, checkpoint, resume, documentMask, allowOverlappingKmers, s.resolved());
  }
}
