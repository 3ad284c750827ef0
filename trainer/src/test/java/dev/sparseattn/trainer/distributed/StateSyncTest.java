package dev.sparseattn.trainer.distributed;

import static dev.sparseattn.trainer.distributed.SparkTestSupport.config;
import static dev.sparseattn.trainer.distributed.SparkTestSupport.floats;
import static dev.sparseattn.trainer.distributed.SparkTestSupport.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.trainer.checkpoint.CheckpointStore;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import dev.sparseattn.trainer.report.MetricsLog;
import dev.sparseattn.trainer.train.GradientClipping;
import dev.sparseattn.trainer.train.OptimizerStep;
import dev.sparseattn.trainer.train.SequenceBatches;
import dev.sparseattn.trainer.train.TinyDataset;
import dev.sparseattn.trainer.train.TrainedModel;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Adam's moments kept on the executors between synchronisations ({@code distributed.state-sync-every}),
 * on a real local[2] Spark context, against a reference written out here: two replicas trained with the
 * workers' own optimiser step on their own streams, parameters averaged every round, moments averaged
 * only in synchronisation rounds, and a worker whose state was lost starting from the last
 * synchronised moments.
 */
class StateSyncTest {
  @TempDir static Path tmp;
  static JavaSparkContext sc;
  static Path data;

  @BeforeAll
  static void setUp() throws Exception {
    sc = SparkTestSupport.startSpark();
    data = tmp.resolve("data");
    TinyDataset.write(data, SparkTestSupport.sampleLines(40), 32, 10, 16);
  }

  @AfterAll
  static void tearDown() {
    sc.stop();
  }

  /** Runs the trainer, returning the model and its per-round metrics lines. */
  private static TrainedModel run(DistributedConfig c, List<Map<?, ?>> rounds, java.util.function.IntConsumer hook)
      throws Exception {
    ByteArrayOutputStream lines = new ByteArrayOutputStream();
    PreparedDataset d = PreparedDataset.open(data.toUri().toString(), new Configuration());
    TrainedModel m = new ParameterAveragingTrainer(c, sc, System.out).onRoundEnd(hook)
        .train(d, new MetricsLog(lines), null);
    ObjectMapper json = new ObjectMapper();
    for (String line : lines.toString(StandardCharsets.UTF_8).split("\n")) {
      Map<?, ?> e = json.readValue(line, Map.class);
      if ("train".equals(e.get("event"))) {
        rounds.add(e);
      }
    }
    return m;
  }

  private static List<Object> column(List<Map<?, ?>> rounds, String key) {
    return rounds.stream().map(r -> (Object) r.get(key)).toList();
  }

  /**
   * The reference: W replicas built from the driver's network configuration, each taking {@code k} steps of
   * {@link OptimizerStep} on its own stream per round; the parameters are averaged (added in worker order,
   * then divided) every round, the moments only when {@code round % syncEvery == 0} or in the last round,
   * and every replica starts the round after a synchronisation from the averaged moments; worker
   * {@code lost} starts round {@code lostRound} from the last synchronised moments. Returns parameters
   * followed by the final (averaged) moments.
   */
  private static float[] reference(DistributedConfig c, TransformerConfig arch, int rounds, int syncEvery,
                                   int lostRound, int lost) {
    int workers = c.workers();
    int k = c.averagingFrequency();
    PreparedDataset d = PreparedDataset.open(data.toUri().toString(), new Configuration());
    MultiLayerNetwork driver = TransformerLM.build(arch, ParameterAveragingTrainer.updater(c, c.train().steps()));
    GradientClipping.apply(driver, c.train().optim().gradientClip());
    String json = driver.getLayerWiseConfigurations().toJson();
    List<MultiLayerNetwork> replicas = new ArrayList<>();
    List<SequenceBatches> streams = new ArrayList<>();
    List<List<String>> shards = ShardAssignment.assignTraining(d, workers);
    for (int w = 0; w < workers; w++) {
      MultiLayerNetwork r = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(json));
      r.init();
      replicas.add(r);
      streams.add(SequenceBatches.training(d, shards.get(w).stream()
          .map(p -> new org.apache.hadoop.fs.Path(d.dir(), p)).toList(), c.train().batchSize(), c.train().seed(),
          new SequenceBatches.Position(0, 0, 0)));
    }
    INDArray params = driver.params().dup();
    INDArray synced = ModelState.updaterState(driver).dup();
    boolean loadSynced = true;
    int pad = d.tokenizer().padId();
    for (int round = 1; round <= rounds; round++) {
      for (int w = 0; w < workers; w++) {
        MultiLayerNetwork r = replicas.get(w);
        r.params().assign(params);
        if (loadSynced || (round == lostRound && w == lost)) {
          ModelState.updaterState(r).assign(synced);
        }
        r.setIterationCount((round - 1) * k);
        OptimizerStep step = new OptimizerStep(r, c.train().optim());
        for (int i = 0; i < k; i++) {
          SequenceBatches s = streams.get(w);
          int[][] rows = s.next();
          step.step(List.of(TransformerLM.toDataSet(arch, rows, s.segments(), pad, DataType.FLOAT)));
        }
      }
      params = replicas.get(0).params().dup();
      for (int w = 1; w < workers; w++) {
        params.addi(replicas.get(w).params());
      }
      params.divi(workers);
      loadSynced = (syncEvery > 0 && round % syncEvery == 0) || round == rounds;
      if (loadSynced) {
        synced = ModelState.updaterState(replicas.get(0)).dup();
        for (int w = 1; w < workers; w++) {
          synced.addi(ModelState.updaterState(replicas.get(w)));
        }
        synced.divi(workers);
      }
    }
    float[] p = floats(params);
    float[] u = floats(synced);
    float[] all = java.util.Arrays.copyOf(p, p.length + u.length);
    System.arraycopy(u, 0, all, p.length, u.length);
    return all;
  }

  private static float[] state(TrainedModel m) {
    float[] p = floats(m.network().params());
    float[] u = floats(ModelState.updaterState(m.network()));
    float[] all = java.util.Arrays.copyOf(p, p.length + u.length);
    System.arraycopy(u, 0, all, p.length, u.length);
    return all;
  }

  /**
   * 2 workers, 5 rounds of 2 steps, moments averaged every 2 rounds (rounds 2, 4 and the last, 5): only
   * parameters travel in the other rounds, the workers' own moments carry over, and the result equals the
   * reference bit for bit. Worker 1's state is dropped after round 3 (as if its executor were replaced):
   * in round 4 it falls back to the moments synchronised in round 2, counted in the metrics, again as the
   * reference does. With {@code state-sync-every = 1} (moments averaged every round, the former
   * behaviour) the run equals the reference with synchronisation every round, and differs from the first.
   */
  @Test
  void momentsStayOnExecutorsBetweenSynchronisations() throws Exception {
    String[] o = {"train.steps=10", "train.eval-every=100", "distributed.workers=2",
        "distributed.averaging-frequency=2", "distributed.state-sync-every=2"};
    DistributedConfig every2 = DistributedConfig.parse(config(data, tmp.resolve("s2").toString(), o));
    List<Map<?, ?>> rounds = new ArrayList<>();
    TrainedModel kept = run(every2, rounds, r -> {
      if (r == 3) {
        Replicas.forgetState(1);
      }
    });
    assertEquals(List.of(false, true, false, true, true), column(rounds, "state_sync"));
    assertEquals(List.of(0, 0, 0, 1, 0), column(rounds, "state_fallbacks"));
    assertEquals(1, ((Number) kept.summary().get("state_fallbacks")).intValue());
    long paramBytes = kept.network().params().length() * 4;
    long stateBytes = paramBytes + ModelState.updaterState(kept.network()).length() * 4;
    // round 1 ships the initial moments, round 3 and 5 the ones averaged in rounds 2 and 4; only sync rounds return them
    assertEquals(List.of(stateBytes, paramBytes, stateBytes, paramBytes, stateBytes),
        column(rounds, "state_bytes").stream().map(x -> ((Number) x).longValue()).toList());
    assertEquals(List.of(paramBytes, stateBytes, paramBytes, stateBytes, stateBytes),
        column(rounds, "result_bytes").stream().map(x -> ((Number) x).longValue()).toList());
    float[] expected = reference(every2, kept.config(), 5, 2, 4, 1);
    assertArrayEquals(expected, state(kept), 0f, "moments kept between syncs, one fallback");

    String[] o1 = o.clone();
    o1[4] = "distributed.state-sync-every=1";
    DistributedConfig every1 = DistributedConfig.parse(config(data, tmp.resolve("s1").toString(), o1));
    List<Map<?, ?>> rounds1 = new ArrayList<>();
    TrainedModel averaged = run(every1, rounds1, r -> { });
    assertEquals(List.of(true, true, true, true, true), column(rounds1, "state_sync"));
    assertEquals(List.of(0, 0, 0, 0, 0), column(rounds1, "state_fallbacks"));
    assertArrayEquals(reference(every1, averaged.config(), 5, 1, 0, -1), state(averaged), 0f, "moments every round");
    double diff = maxAbsDiff(kept.network().params(), averaged.network().params());
    System.out.printf("moments kept between syncs vs averaged every round: max |parameter diff| %.3g%n", diff);
    assertTrue(diff > 1e-6, "the two cadences train differently: " + diff);
  }

  /**
   * Interrupted after the checkpoint at step 4 (round 2 of 6, between the periodic synchronisations of
   * rounds 3 and 6, moments otherwise kept on the executors) and resumed: the same parameters and moments
   * as the uninterrupted run, because a checkpoint round always averages the moments and a resumed run
   * starts every worker from them, as the uninterrupted run does after that synchronisation.
   */
  @Test
  void resumeFromACheckpointBetweenPeriodicSyncsIsExact() throws Exception {
    String out = tmp.resolve("resume").toString();
    String[] o = {"train.steps=12", "train.eval-every=100", "train.checkpoint.every=4", "train.checkpoint.keep=5",
        "distributed.workers=2", "distributed.averaging-frequency=2", "distributed.state-sync-every=3"};
    TrainedModel whole = DistributedTrain.run(DistributedConfig.parse(config(data, out, o)), sc);
    List<Boolean> sync = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of(out, "metrics.jsonl"))) {
      Map<?, ?> e = new ObjectMapper().readValue(line, Map.class);
      if ("train".equals(e.get("event"))) {
        sync.add((Boolean) e.get("state_sync"));
      }
    }
    // checkpoints at steps 4, 8, 12 (rounds 2, 4, 6), periodic syncs at rounds 3 and 6
    assertEquals(List.of(false, true, true, true, false, true), sync);
    for (String later : List.of("step-000000008", "step-000000012")) {
      try (Stream<Path> s = Files.walk(Path.of(out, "checkpoints", later))) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    CheckpointStore store = new CheckpointStore(Path.of(out, "checkpoints").toUri().toString(), 5, new Configuration());
    assertEquals(4L, store.latest().orElseThrow().step());
    String[] resume = Stream.concat(Stream.of(o), Stream.of("train.resume=true")).toArray(String[]::new);
    TrainedModel resumed = DistributedTrain.run(DistributedConfig.parse(config(data, out, resume)), sc);
    assertArrayEquals(state(whole), state(resumed), 0f);
    assertEquals(12, resumed.network().getIterationCount());
  }

  /** The choice of a round's updater state: a replica's own state only if it is the state at the round's step. */
  @Test
  void staleOrMissingStateIsNeverUsed() {
    assertEquals(UpdaterSource.SYNCED, UpdaterSource.choose(true, 10, 10));
    assertEquals(UpdaterSource.SYNCED, UpdaterSource.choose(true, UpdaterSource.NONE, 10));
    assertEquals(UpdaterSource.LOCAL, UpdaterSource.choose(false, 10, 10));
    // missing (new replica, or a round that did not complete on this executor, e.g. a retried task)
    assertEquals(UpdaterSource.FALLBACK, UpdaterSource.choose(false, UpdaterSource.NONE, 10));
    // stale (an older round's state), or ahead (this round already ran here once: a re-executed task)
    assertEquals(UpdaterSource.FALLBACK, UpdaterSource.choose(false, 8, 10));
    assertEquals(UpdaterSource.FALLBACK, UpdaterSource.choose(false, 12, 10));
  }
}
