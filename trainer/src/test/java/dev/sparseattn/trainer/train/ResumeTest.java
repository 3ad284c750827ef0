package dev.sparseattn.trainer.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.config.JobArgs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run interrupted after a checkpoint and resumed reaches the same parameters as the uninterrupted
 * run: same data position, updater state, learning-rate schedule and step counter.
 */
class ResumeTest {
  @TempDir Path tmp;

  private TrainConfig config(Path data, Path out, boolean resume, String... extra) {
    List<String> o = new ArrayList<>(List.of(
        "train.data=\"" + data.toUri() + "\"", "train.output=\"" + out + "\"", "train.overwrite=true",
        "train.model.d-model=16", "train.model.heads=2", "train.model.layers=1",
        "train.batch-size=4", "train.steps=12", "train.eval-every=6", "train.log-every=6",
        "train.eval-sequences=8", "train.optim.warmup-steps=2", "train.checkpoint.every=6"));
    o.add("train.resume=" + resume);
    o.addAll(List.of(extra));
    return TrainConfig.parse(JobArgs.parseOverrides(o));
  }

  @Test
  void resumedRunMatchesUninterruptedRun() throws Exception {
    resumeMatches();
  }

  /** LSH layers draw their rotations from (seed, layer, step): the resumed steps draw the same ones. */
  @Test
  void resumedLshRunMatchesUninterruptedRun() throws Exception {
    resumeMatches("train.model.layers=2", "train.model.attention=[{kind=lsh, hashes=2, buckets=4, chunk=8, seed=3}]");
  }

  /** The same with AdamW decay and 2 micro-batches a step: neither keeps state outside the checkpoint. */
  @Test
  void resumedRunWithWeightDecayAndAccumulationMatches() throws Exception {
    resumeMatches("train.optim.weight-decay=0.1", "train.grad-accumulation=2");
  }

  private void resumeMatches(String... extra) throws Exception {
    Path data = tmp.resolve("data");
    // ~40 train rows in shards of 16: 12 steps of 4 rows cross shard boundaries and an epoch
    TinyDataset.write(data, TrainJobTest.sampleLines(10), 32, 10, 16);
    Path out = tmp.resolve("run");
    TrainedModel uninterrupted = Train.run(config(data, out, false, extra));
    float[] expected = uninterrupted.network().params().data().asFloat();
    List<String> metricsBefore = Files.readAllLines(out.resolve("metrics.jsonl"));

    // Simulate a crash between step 6 and step 12: the last checkpoint on disk is step 6.
    try (Stream<Path> s = Files.walk(out.resolve("checkpoints/step-000000012"))) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    TrainedModel resumed = Train.run(config(data, out, true, extra));

    assertEquals(12, resumed.summary().get("steps"));
    float[] actual = resumed.network().params().data().asFloat();
    double maxDiff = 0;
    for (int i = 0; i < expected.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(expected[i] - actual[i]));
    }
    assertEquals(0.0, maxDiff, 0.0, "resumed parameters differ from the uninterrupted run by up to " + maxDiff);
    List<String> metricsAfter = Files.readAllLines(out.resolve("metrics.jsonl"));
    assertEquals(metricsBefore.size(), metricsAfter.size());
    assertTrue(Files.exists(out.resolve("checkpoints/step-000000012/model.zip")));
  }

  /**
   * The schedule is saved in the checkpoint: resuming with another train.steps (or learning rate) would
   * silently keep the old cosine decay, so it is refused, naming the keys.
   */
  @Test
  void resumeWithAnotherScheduleIsRefused() throws Exception {
    Path data = tmp.resolve("data");
    TinyDataset.write(data, TrainJobTest.sampleLines(10), 32, 10, 16);
    Path out = tmp.resolve("run");
    Train.run(config(data, out, false, "train.steps=6"));
    for (String changed : List.of("train.steps=12", "train.optim.learning-rate=0.01")) {
      var e = org.junit.jupiter.api.Assertions.assertThrows(dev.sparseattn.datasets.config.DataError.class,
          () -> Train.run(config(data, out, true, changed)), changed);
      assertTrue(e.getMessage().contains("train.steps") && e.getMessage().contains("checkpoint"), e.getMessage());
    }
    assertEquals(6, Train.run(config(data, out, true, "train.steps=6")).summary().get("steps"));
  }

  @Test
  void resumeWithoutCheckpointsIsAConfigError() {
    var e = org.junit.jupiter.api.Assertions.assertThrows(dev.sparseattn.datasets.config.ConfigError.class,
        () -> TrainConfig.parse(JobArgs.parseOverrides(List.of("train.data=x", "train.output=y", "train.resume=true"))));
    assertTrue(e.getMessage().contains("train.resume"), e.getMessage());
  }
}
