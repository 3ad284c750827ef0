package dev.sparseattn.trainer.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.config.ConfigError;
import dev.sparseattn.datasets.config.JobArgs;
import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.trainer.train.TinyDataset;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Configuration parsing and shard assignment (no Spark). */
class DistributedConfigTest {
  @TempDir Path tmp;

  private static DistributedConfig parse(String... overrides) {
    List<String> o = new ArrayList<>(List.of("train.data=d", "train.output=o", "train.steps=10", "train.optim.warmup-steps=2"));
    o.addAll(List.of(overrides));
    return DistributedConfig.parse(JobArgs.parseOverrides(o));
  }

  @Test
  void defaultsAndRounds() {
    DistributedConfig c = parse("distributed.averaging-frequency=3");
    assertEquals(2, c.workers());
    assertEquals(3, c.averagingFrequency());
    assertEquals(4, c.rounds());   // 3 + 3 + 3 + 1
    assertEquals(2, c.aggregationDepth());
    assertEquals(DistributedConfig.Optimizer.ADAM, c.optimizer());
    assertEquals("local[*]", c.master());
    assertEquals(2, c.prefetch());
    assertEquals(0, c.epochs());
    assertEquals(1, c.stateSyncEvery());   // the moments averaged every round, as before, unless asked
    assertEquals(3, parse("distributed.state-sync-every=3").stateSyncEvery());
    DistributedConfig set = parse("distributed.prefetch=0", "distributed.epochs=3");
    assertEquals(0, set.prefetch());
    assertEquals(3, set.epochs());
  }

  @Test
  void errorsNameTheKey() {
    // override -> a fragment the message must contain
    String[][] cases = {
        {"distributed.workers=0", "distributed.workers"},
        {"distributed.averaging-frequency=11", "must not exceed train.steps"},
        {"distributed.optimizer=rmsprop", "[adam, sgd]"},
        {"distributed.prefetch=-1", "distributed.prefetch"},
        {"distributed.prefetch=lots", "distributed.prefetch"},
        {"distributed.epochs=-2", "distributed.epochs"},
        {"distributed.state-sync-every=-1", "distributed.state-sync-every"},
        {"distributed.wrokers=2", "distributed.wrokers"}};
    for (String[] c : cases) {
      String message = assertThrows(ConfigError.class, () -> parse(c[0]), c[0]).getMessage();
      assertTrue(message.contains(c[1]), c[0] + ": " + message);
    }
  }

  @Test
  void roundBoundaries() {
    assertTrue(ParameterAveragingTrainer.crossed(10, 5, 10));
    assertTrue(ParameterAveragingTrainer.crossed(12, 5, 10));
    assertTrue(!ParameterAveragingTrainer.crossed(9, 5, 10));
    assertTrue(!ParameterAveragingTrainer.crossed(5, 5, 0));
  }

  @Test
  void aggregationTreeLevels() {
    // a level on executors only when it reduces what the driver receives (Spark's treeAggregate rule)
    assertEquals(List.of(), ParameterAveragingTrainer.groupSizes(4, 2));
    assertEquals(List.of(3), ParameterAveragingTrainer.groupSizes(6, 2));
    assertEquals(2, ParameterAveragingTrainer.resultsAtDriver(6, 2));
    assertEquals(List.of(), ParameterAveragingTrainer.groupSizes(64, 1));
    assertEquals(List.of(8), ParameterAveragingTrainer.groupSizes(64, 2));
    assertEquals(List.of(4, 16), ParameterAveragingTrainer.groupSizes(64, 3));
    assertEquals(4, ParameterAveragingTrainer.resultsAtDriver(64, 3));
  }

  @Test
  void roundResultsMustFitTheDriversResultSize() {
    long gb = 1L << 30;
    long state = 120_000_000;   // 10M parameters with Adam's two moments, float32
    ParameterAveragingTrainer.checkResultSize(gb, state, 8, 1);    // 960 MB
    ParameterAveragingTrainer.checkResultSize(0, state, 64, 1);    // 0 = no limit
    ParameterAveragingTrainer.checkResultSize(gb, state, 64, 3);   // 4 partial sums reach the driver
    String message = assertThrows(dev.sparseattn.datasets.config.DataError.class,
        () -> ParameterAveragingTrainer.checkResultSize(gb, state, 9, 1)).getMessage();
    assertTrue(message.contains("spark.driver.maxResultSize") && message.contains("9 result(s)"), message);
  }

  @Test
  void shardsAreDisjointBalancedAndCoverTheSplit() throws Exception {
    TinyDataset.write(tmp, SparkTestSupport.sampleLines(40), 32, 10, 16);
    PreparedDataset d = PreparedDataset.open(tmp.toUri().toString(), new Configuration());
    List<String> all = d.manifest().split(Split.TRAIN).shards().stream().map(s -> s.path()).toList();
    assertEquals(List.of(all), ShardAssignment.assignTraining(d, 1));   // one worker: every shard, in order
    List<List<String>> three = ShardAssignment.assignTraining(d, 3);
    Set<String> seen = new HashSet<>();
    three.forEach(mine -> mine.forEach(p -> assertTrue(seen.add(p), "shard " + p + " assigned twice")));
    assertEquals(new HashSet<>(all), seen);
    int max = three.stream().mapToInt(List::size).max().orElseThrow();
    int min = three.stream().mapToInt(List::size).min().orElseThrow();
    assertTrue(max - min <= 1, three.toString());   // equal shards of 16 rows (the last one smaller)
  }
}
