package dev.sparseattn.trainer.distributed;

import static dev.sparseattn.trainer.distributed.SparkTestSupport.config;
import static dev.sparseattn.trainer.distributed.SparkTestSupport.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.trainer.checkpoint.CheckpointStore;
import dev.sparseattn.trainer.checkpoint.TrainingState;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.report.MetricsLog;
import dev.sparseattn.trainer.train.SequenceBatches;
import dev.sparseattn.trainer.train.TinyDataset;
import dev.sparseattn.trainer.train.Train;
import dev.sparseattn.trainer.train.TrainConfig;
import dev.sparseattn.trainer.train.TrainedModel;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Parameter averaging on a real local[2] Spark context against single-machine training, following
 * DL4J's {@code TestCompareParameterAveragingSparkVsSingleMachine}.
 */
class ParameterAveragingTrainerTest {
  @TempDir static java.nio.file.Path tmp;
  static JavaSparkContext sc;
  static java.nio.file.Path data;

  @BeforeAll
  static void setUp() throws Exception {
    sc = SparkTestSupport.startSpark();
    data = tmp.resolve("data");
    // ~180 train rows of 32 tokens in shards of 16 rows (12 shards), ~20 validation rows
    TinyDataset.write(data, SparkTestSupport.sampleLines(40), 32, 10, 16);
  }

  @AfterAll
  static void tearDown() {
    sc.stop();
  }

  private static TrainedModel distributed(DistributedConfig c, MetricsLog metrics, CheckpointStore store)
      throws Exception {
    PreparedDataset d = PreparedDataset.open(data.toUri().toString(), new Configuration());
    return new ParameterAveragingTrainer(c, sc, System.out).train(d, metrics, store);
  }

  private static MetricsLog discard() {
    return new MetricsLog(new ByteArrayOutputStream());
  }

  /** One worker on Spark (Adam, warm-up + cosine, clipping, 3 rounds of 3 steps) is single-machine training, bit for bit. */
  @Test
  void oneWorkerIsSingleMachineTraining() throws Exception {
    String[] o = {"train.steps=9", "train.eval-every=9", "distributed.workers=1", "distributed.averaging-frequency=3"};
    TrainedModel spark = DistributedTrain.run(DistributedConfig.parse(config(data, tmp.resolve("one-spark").toString(), o)), sc);
    TrainedModel local = Train.run(TrainConfig.parse(config(data, tmp.resolve("one-local").toString(), o)));

    assertArrayEquals(SparkTestSupport.floats(local.network().params()), SparkTestSupport.floats(spark.network().params()),
        0f, "parameters");
    assertArrayEquals(SparkTestSupport.floats(ModelState.updaterState(local.network())),
        SparkTestSupport.floats(ModelState.updaterState(spark.network())), 0f, "Adam moments");
    assertEquals(local.network().getIterationCount(), spark.network().getIterationCount());
    // and training did move the parameters
    MultiLayerNetwork init = TransformerLM.build(spark.config(), ParameterAveragingTrainer.updater(
        DistributedConfig.parse(config(data, "x", o))));
    assertTrue(maxAbsDiff(init.params(), spark.network().params()) > 1e-3);
    // distributed validation of the final network equals the driver's exact evaluation of the whole split
    double distributedBits = ((Number) spark.summary().get("validation_bits_per_token")).doubleValue();
    double localBits = ((Number) local.summary().get("validation_bits_per_token")).doubleValue();
    assertEquals(localBits, distributedBits, 1e-6);
  }

  /**
   * The same with AdamW decay and 2 micro-batches per step: the workers' optimiser step is the local
   * trainer's (OptimizerStep), so one worker is still single-machine training, bit for bit.
   */
  @Test
  void oneWorkerWithWeightDecayAndAccumulationIsSingleMachineTraining() throws Exception {
    String[] o = {"train.steps=6", "train.eval-every=6", "distributed.workers=1", "distributed.averaging-frequency=3",
        "train.optim.weight-decay=0.1", "train.grad-accumulation=2"};
    TrainedModel spark = DistributedTrain.run(DistributedConfig.parse(config(data, tmp.resolve("acc-spark").toString(), o)), sc);
    TrainedModel local = Train.run(TrainConfig.parse(config(data, tmp.resolve("acc-local").toString(), o)));
    assertArrayEquals(SparkTestSupport.floats(local.network().params()), SparkTestSupport.floats(spark.network().params()),
        0f, "parameters");
    assertEquals(6, spark.network().getIterationCount());
    assertEquals(((Number) local.summary().get("tokens_seen")).longValue(),
        ((Number) spark.summary().get("tokens_seen")).longValue(), "2 micro-batches per step on both");
  }

  /**
   * Plain SGD, averaging after every step, 2 workers with batches of 4: the same parameters as single-machine
   * SGD on the union of the two workers' batches (8 sequences per step), because DL4J's loss is a mean over
   * sequences, so the average of the workers' mean gradients is the mean gradient of the union.
   */
  @Test
  void sgdAveragingEveryStepIsSgdOnTheCombinedBatch() throws Exception {
    int steps = 5;
    DistributedConfig c = DistributedConfig.parse(config(data, tmp.resolve("sgd").toString(),
        "train.steps=" + steps, "train.eval-every=1000", "train.optim.gradient-clip=0", "train.optim.learning-rate=0.02",
        "train.optim.warmup-steps=0", "distributed.workers=2", "distributed.averaging-frequency=1",
        "distributed.optimizer=sgd"));
    TrainedModel spark = distributed(c, discard(), null);

    PreparedDataset d = PreparedDataset.open(data.toUri().toString(), new Configuration());
    TransformerConfig arch = spark.config();
    List<List<String>> shards = ShardAssignment.assignTraining(d, 2);
    List<SequenceBatches> streams = new ArrayList<>();
    for (List<String> mine : shards) {
      streams.add(SequenceBatches.training(d, mine.stream().map(p -> new org.apache.hadoop.fs.Path(d.dir(), p)).toList(), 4,
          c.train().seed(), new SequenceBatches.Position(0, 0, 0)));
    }
    MultiLayerNetwork single = TransformerLM.build(arch, ParameterAveragingTrainer.updater(c));
    MultiLayerNetwork oneWorkerOnly = TransformerLM.build(arch, ParameterAveragingTrainer.updater(c));
    INDArray init = single.params().dup();
    int pad = d.tokenizer().padId();
    for (int s = 0; s < steps; s++) {
      int[][] a = streams.get(0).next();
      int[][] segA = streams.get(0).segments();                 // the document mask, as the workers train
      int[][] b = streams.get(1).next();
      int[][] segB = streams.get(1).segments();
      int[][] union = Stream.concat(Stream.of(a), Stream.of(b)).toArray(int[][]::new);
      int[][] segUnion = Stream.concat(Stream.of(segA), Stream.of(segB)).toArray(int[][]::new);
      single.fit(TransformerLM.toDataSet(arch, union, segUnion, pad, org.nd4j.linalg.api.buffer.DataType.FLOAT));
      oneWorkerOnly.fit(TransformerLM.toDataSet(arch, a, segA, pad, org.nd4j.linalg.api.buffer.DataType.FLOAT));
    }
    double moved = maxAbsDiff(init, single.params());
    double diff = maxAbsDiff(single.params(), spark.network().params());
    double control = maxAbsDiff(oneWorkerOnly.params(), spark.network().params());
    System.out.printf("SGD on the union vs averaged SGD: max |diff| %.3g; parameters moved up to %.3g;"
        + " one worker's batch alone differs by %.3g%n", diff, moved, control);
    // Measured: max |diff| 2.4e-7 (two float32 ulps at 1.0), movement 0.38, control 0.096. The two runs differ
    // only in the order float32 gradient terms are added (one batch of 8 vs. the mean of two batches of 4), a
    // relative rounding of ~1e-7 per step; parameters are at most ~1 in magnitude (LayerNorm gains), so an ulp
    // is <= 1.2e-7 and 2e-6 (16 ulps) bounds 5 steps of such rounding, while averaging the wrong update
    // (one worker's batch alone) is off by > 1e4 times that.
    assertTrue(diff <= 2e-6, "averaged SGD differs from SGD on the union by " + diff);
    assertTrue(moved > 0.1 && control > 1e-2, "the check has power: moved " + moved + ", control " + control);
  }

  /** Interrupted after the checkpoint at step 4 (2 workers, 2 rounds of 2 steps) and resumed: the same parameters. */
  @Test
  void resumeOnSparkContinuesExactly() throws Exception {
    String out = tmp.resolve("resume").toString();
    String[] o = {"train.steps=8", "train.eval-every=4", "train.checkpoint.every=4", "train.checkpoint.keep=3",
        "distributed.workers=2", "distributed.averaging-frequency=2"};
    TrainedModel whole = DistributedTrain.run(DistributedConfig.parse(config(data, out, o)), sc);
    List<String> metricsBefore = Files.readAllLines(java.nio.file.Path.of(out, "metrics.jsonl"));
    CheckpointStore store = new CheckpointStore(java.nio.file.Path.of(out, "checkpoints").toUri().toString(), 3,
        new Configuration());
    assertEquals(List.of(4L, 8L), store.list().stream().map(CheckpointStore.Checkpoint::step).toList());
    TrainingState at4 = store.state(store.list().get(0));
    assertEquals(2, at4.workers().size());
    // each worker has consumed 4 steps x 4 rows = 16 rows (one shard of 16) of its own stream
    assertTrue(at4.workers().stream().allMatch(p -> p.epoch() == 0 && p.shard() * 16 + p.row() == 16), at4.toString());

    try (Stream<java.nio.file.Path> s = Files.walk(java.nio.file.Path.of(out, "checkpoints", "step-000000008"))) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    String[] resume = Stream.concat(Stream.of(o), Stream.of("train.resume=true")).toArray(String[]::new);
    TrainedModel resumed = DistributedTrain.run(DistributedConfig.parse(config(data, out, resume)), sc);

    assertArrayEquals(SparkTestSupport.floats(whole.network().params()),
        SparkTestSupport.floats(resumed.network().params()), 0f);
    assertArrayEquals(SparkTestSupport.floats(ModelState.updaterState(whole.network())),
        SparkTestSupport.floats(ModelState.updaterState(resumed.network())), 0f);
    List<String> metricsAfter = Files.readAllLines(java.nio.file.Path.of(out, "metrics.jsonl"));
    assertEquals(metricsBefore.size(), metricsAfter.size());
    assertTrue(Files.size(java.nio.file.Path.of(out, "loss.png")) > 1000);
    assertTrue(metricsAfter.stream().anyMatch(l -> l.contains("\"outside_train_s\"")));
  }

  /** A NaN stops the run with a message naming the last good checkpoint, and nothing of the bad round is saved. */
  @Test
  void nonFiniteLossStopsTheRunAndKeepsTheLastCheckpoint() throws Exception {
    String out = tmp.resolve("nan").toString();
    String[] o = {"train.steps=6", "train.eval-every=100", "train.checkpoint.every=2", "distributed.workers=2",
        "distributed.averaging-frequency=2"};
    DistributedTrain.run(DistributedConfig.parse(config(data, out, o)), sc);
    // keep only the step-2 checkpoint and poison Adam's moments in it: the first resumed update makes the
    // parameters NaN, so the second local step of round 2 has a NaN loss
    CheckpointStore store = new CheckpointStore(java.nio.file.Path.of(out, "checkpoints").toUri().toString(), 3,
        new Configuration());
    for (String later : List.of("step-000000004", "step-000000006")) {
      try (Stream<java.nio.file.Path> s = Files.walk(java.nio.file.Path.of(out, "checkpoints", later))) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    CheckpointStore.Checkpoint c2 = store.latest().orElseThrow();
    assertEquals(2, c2.step());
    TransformerLM.Loaded loaded = store.model(c2);
    ModelState.updaterState(loaded.network()).assign(Double.NaN);
    store.save(loaded.network(), loaded.config(), store.state(c2));

    String[] resume = Stream.concat(Stream.of(o), Stream.of("train.resume=true"))
        .toArray(String[]::new);
    IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
        () -> DistributedTrain.run(DistributedConfig.parse(config(data, out, resume)), sc));
    assertTrue(e.getMessage().startsWith("training diverged in round 2 (steps 3-4)"), e.getMessage());
    assertTrue(e.getMessage().contains("the last good checkpoint is " + c2.dir() + " (step 2)"), e.getMessage());
    assertEquals(List.of(2L), store.list().stream().map(CheckpointStore.Checkpoint::step).toList());
  }

  /** Parameters and Adam moments of a run, concatenated, for bit-for-bit comparisons. */
  private static float[] state(TrainedModel m) {
    float[] p = SparkTestSupport.floats(m.network().params());
    float[] u = SparkTestSupport.floats(ModelState.updaterState(m.network()));
    float[] all = java.util.Arrays.copyOf(p, p.length + u.length);
    System.arraycopy(u, 0, all, p.length, u.length);
    return all;
  }

  /**
   * Three workers on local[2] (so tasks finish in varying order) run twice: bit-identical parameters and Adam
   * moments, because results are added in worker order. Six workers with aggregation depth 2 add results in
   * groups on executors first (a shuffle level of the tree): again bit-identical across runs.
   */
  @Test
  void summationDoesNotDependOnTaskOrder() throws Exception {
    String[] three = {"train.steps=4", "train.eval-every=100", "distributed.workers=3", "distributed.averaging-frequency=2"};
    float[] a = state(distributed(DistributedConfig.parse(config(data, tmp.resolve("w3a").toString(), three)), discard(), null));
    float[] b = state(distributed(DistributedConfig.parse(config(data, tmp.resolve("w3b").toString(), three)), discard(), null));
    assertArrayEquals(a, b, 0f, "3 workers, run twice");

    assertEquals(java.util.List.of(3), ParameterAveragingTrainer.groupSizes(6, 2));   // 6 -> 2 partial sums
    assertEquals(java.util.List.of(), ParameterAveragingTrainer.groupSizes(3, 2));    // a level would not pay
    String[] six = {"train.steps=2", "train.eval-every=100", "distributed.workers=6", "distributed.averaging-frequency=1",
        "distributed.aggregation-depth=2"};
    TrainedModel t1 = distributed(DistributedConfig.parse(config(data, tmp.resolve("w6a").toString(), six)), discard(), null);
    TrainedModel t2 = distributed(DistributedConfig.parse(config(data, tmp.resolve("w6b").toString(), six)), discard(), null);
    assertArrayEquals(state(t1), state(t2), 0f, "6 workers, depth 2, run twice");
    String[] flat = six.clone();
    flat[4] = "distributed.aggregation-depth=1";
    TrainedModel t3 = distributed(DistributedConfig.parse(config(data, tmp.resolve("w6c").toString(), flat)), discard(), null);
    double diff = maxAbsDiff(t1.network().params(), t3.network().params());
    MultiLayerNetwork init = TransformerLM.build(t1.config(), ParameterAveragingTrainer.updater(
        DistributedConfig.parse(config(data, "x", six))));
    double moved = maxAbsDiff(init.params(), t1.network().params());
    System.out.printf("6 workers, depth 2 vs 1: max |diff| %.3g, parameters moved %.3g%n", diff, moved);
    // the two trees add the same six float32 arrays in a different grouping: a few ulps of values <= ~1
    // (1.2e-7 each) per round, 2 rounds; a tree dropping or repeating a worker would be off by ~moved / 6
    assertTrue(diff <= 2e-6 && moved > 1e-3, "depth 2 vs 1: diff " + diff + ", moved " + moved);
  }

  /** Reading ahead (prefetch 3) trains exactly as reading inline (prefetch 0). */
  @Test
  void prefetchDoesNotChangeResults() throws Exception {
    String[] o = {"train.steps=6", "train.eval-every=100", "distributed.workers=2", "distributed.averaging-frequency=3"};
    String[] inline = Stream.concat(Stream.of(o), Stream.of("distributed.prefetch=0")).toArray(String[]::new);
    String[] ahead = Stream.concat(Stream.of(o), Stream.of("distributed.prefetch=3")).toArray(String[]::new);
    TrainedModel a = distributed(DistributedConfig.parse(config(data, tmp.resolve("pf0").toString(), inline)), discard(), null);
    TrainedModel b = distributed(DistributedConfig.parse(config(data, tmp.resolve("pf3").toString(), ahead)), discard(), null);
    assertArrayEquals(state(a), state(b), 0f);
    assertEquals(a.summary().get("tokens_seen"), b.summary().get("tokens_seen"));
  }

  /** A shard that cannot be read fails the round's task with the reader's error, with and without prefetch. */
  @Test
  void readerFailureFailsTheTask() throws Exception {
    java.nio.file.Path broken = tmp.resolve("broken-data");
    TinyDataset.write(broken, SparkTestSupport.sampleLines(40), 32, 10, 16);
    // every train shard replaced by zeros (checksum files kept): the first read of each worker fails
    try (Stream<java.nio.file.Path> shards = Files.list(broken.resolve("train"))) {
      for (java.nio.file.Path shard : shards.filter(p -> p.toString().endsWith(".parquet")).toList()) {
        Files.write(shard, new byte[(int) Files.size(shard)]);
      }
    }
    for (String prefetch : List.of("0", "2")) {
      Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> new ParameterAveragingTrainer(
          DistributedConfig.parse(config(broken, tmp.resolve("broken-" + prefetch).toString(), "train.steps=40",
              "train.eval-every=100", "distributed.workers=2", "distributed.averaging-frequency=20",
              "distributed.prefetch=" + prefetch)), sc, System.out)
          .train(PreparedDataset.open(broken.toUri().toString(), new Configuration()), discard(), null));
      // the task's failure names the reader's error: Hadoop's checksum check rejects the garbage shard
      assertTrue(e.getMessage().contains("ChecksumException") && e.getMessage().contains("/train/shard-0000"),
          "prefetch " + prefetch + ": " + e.getMessage());
      if (!prefetch.equals("0")) {
        assertTrue(e.getMessage().contains("reading training data failed"), e.getMessage());
      }
    }
  }

  /**
   * Sparse attention (sliding window in layer 1, LSH in layer 2) through the distributed job: one worker is
   * single-machine training bit for bit, and two workers averaging every 2 steps lower the validation loss.
   */
  @Test
  void sparseAttentionTrainsDistributed() throws Exception {
    trainsDistributed("sparse");
  }

  /**
   * The reversible, chunked model (one fused DL4J layer) with the same patterns, axial positions, tied
   * embeddings and dropout: the same two checks.
   */
  @Test
  void reversibleModelTrainsDistributed() throws Exception {
    TrainedModel m = trainsDistributed("reversible", "train.model.residual=reversible", "train.model.positions=axial",
        "train.model.tied-embeddings=true", "train.model.ffn-chunk=40", "train.model.loss-chunk=24",
        "train.model.dropout=0.05");
    assertEquals(dev.sparseattn.trainer.model.network.TransformerConfig.Residual.REVERSIBLE, m.config().residual());
  }

  private TrainedModel trainsDistributed(String name, String... model) throws Exception {
    List<String> shape = new ArrayList<>(List.of("train.model.layers=2",
        "train.model.attention=[{kind=sliding-window, window=8}, {kind=lsh, hashes=1, buckets=4, chunk=8}]"));
    shape.addAll(List.of(model));
    String[] one = concat(shape, "train.steps=6", "train.eval-every=6", "distributed.workers=1",
        "distributed.averaging-frequency=2");
    TrainedModel spark = DistributedTrain.run(DistributedConfig.parse(config(data, tmp.resolve(name + "-spark").toString(), one)), sc);
    TrainedModel local = Train.run(TrainConfig.parse(config(data, tmp.resolve(name + "-local").toString(), one)));
    assertEquals(dev.sparseattn.trainer.model.attention.AttentionSpec.Kind.LSH, spark.config().attentionFor(1).kind());
    assertArrayEquals(state(local), state(spark), 0f, name + ": 1 worker vs single machine");

    String out = tmp.resolve(name + "-two").toString();
    String[] two = concat(shape, "train.steps=16", "train.eval-every=4", "train.optim.learning-rate=0.01",
        "distributed.workers=2", "distributed.averaging-frequency=2");
    TrainedModel trained = DistributedTrain.run(DistributedConfig.parse(config(data, out, two)), sc);
    List<Double> validation = new ArrayList<>();
    for (String line : Files.readAllLines(java.nio.file.Path.of(out, "metrics.jsonl"))) {
      java.util.Map<?, ?> m = new com.fasterxml.jackson.databind.ObjectMapper().readValue(line, java.util.Map.class);
      if ("validation".equals(m.get("event"))) {
        validation.add(((Number) m.get("bits_per_token")).doubleValue());
      }
    }
    System.out.println(name + ", 2 workers, validation bits/token: " + validation);
    assertTrue(validation.size() >= 4 && validation.get(validation.size() - 1) < validation.get(0) - 0.5, validation.toString());
    return trained;
  }

  private static String[] concat(List<String> first, String... rest) {
    List<String> all = new ArrayList<>(first);
    all.addAll(List.of(rest));
    return all.toArray(String[]::new);
  }

  /**
   * distributed.epochs stops the run after whole epochs (here 2 of ceil(90 rows / 16) = 6 steps), rounds end at
   * epoch boundaries (averaging every 4 steps: rounds of 4, 2, 4, 2) and validation runs at the end of each epoch.
   */
  @Test
  void epochsEndRoundsAndValidate() throws Exception {
    String out = tmp.resolve("epochs").toString();
    DistributedConfig c = DistributedConfig.parse(config(data, out, "train.steps=1000", "train.eval-every=1000",
        "train.batch-size=16", "distributed.workers=2", "distributed.averaging-frequency=4", "distributed.epochs=2"));
    PreparedDataset d = PreparedDataset.open(data.toUri().toString(), new Configuration());
    int perEpoch = ParameterAveragingTrainer.stepsPerEpoch(d.manifest(), ShardAssignment.assignTraining(d, 2), 16);
    TrainedModel m = DistributedTrain.run(c, sc);
    assertEquals(2 * perEpoch, ((Number) m.summary().get("steps")).intValue());
    assertEquals(2 * perEpoch, m.network().getIterationCount());
    List<Integer> roundEnds = new ArrayList<>();
    List<Integer> epochEnds = new ArrayList<>();
    for (String line : Files.readAllLines(java.nio.file.Path.of(out, "metrics.jsonl"))) {
      java.util.Map<?, ?> e = new com.fasterxml.jackson.databind.ObjectMapper().readValue(line, java.util.Map.class);
      if ("train".equals(e.get("event"))) {
        roundEnds.add(((Number) e.get("step")).intValue());
      } else if ("validation".equals(e.get("event")) && Boolean.TRUE.equals(e.get("epoch_end"))) {
        epochEnds.add(((Number) e.get("step")).intValue());
        assertTrue(e.get("distributed").equals(true) && ((Number) e.get("bits_per_token")).doubleValue() > 0);
      }
    }
    System.out.println("steps per epoch " + perEpoch + ", round ends " + roundEnds + ", epoch ends " + epochEnds);
    assertEquals(List.of(perEpoch, 2 * perEpoch), epochEnds);
    assertTrue(roundEnds.contains(perEpoch) && roundEnds.get(0) == Math.min(4, perEpoch), roundEnds.toString());
  }

  @Test
  void moreWorkersThanShardsIsADataError() {
    var e = org.junit.jupiter.api.Assertions.assertThrows(dev.sparseattn.datasets.config.DataError.class,
        () -> distributed(DistributedConfig.parse(config(data, tmp.resolve("many").toString(), "train.steps=2",
            "distributed.workers=40", "distributed.averaging-frequency=1")), discard(), null));
    assertTrue(e.getMessage().contains("distributed.workers is 40"), e.getMessage());
  }
}
