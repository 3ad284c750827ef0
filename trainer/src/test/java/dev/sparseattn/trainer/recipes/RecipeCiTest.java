package dev.sparseattn.trainer.recipes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.sparseattn.datasets.config.ConfigError;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.datasets.testdata.RealData;
import dev.sparseattn.pipeline.PrepareConfig;
import dev.sparseattn.pipeline.PrepareCorpus;
import dev.sparseattn.pipeline.prepare.PrepareResult;
import dev.sparseattn.trainer.eval.Evaluate;
import dev.sparseattn.trainer.eval.EvaluateConfig;
import dev.sparseattn.trainer.eval.Evaluation;
import dev.sparseattn.trainer.eval.Score;
import dev.sparseattn.trainer.train.Train;
import dev.sparseattn.trainer.train.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CI's tiny recipes (issue #12): the text and genome recipes of {@code conf/} end to end, prepare -> train ->
 * evaluate, each job's real {@code run(config)} on the recipe file with a reduced model, fewer steps and the
 * repository's fixtures as input (the last 1,000 KJV verses; the first 100 kbp of E. coli 536). Each fails
 * unless the trained model beats its domain's simplest baseline, the unigram (order-0) model the evaluate job
 * fits on the train split, on the held-out split. The text recipe also holds out a test split
 * ({@code prepare.test-fraction}), hidden from the file system while training runs (so a train job that
 * opened a test shard would fail), and scored by {@code evaluate.split = test}.
 */
class RecipeCiTest {
  @TempDir static Path tmp;
  static SparkSession spark;

  @BeforeAll
  static void setUp() {
    spark = SparkSession.builder().master("local[2]").appName("RecipeCiTest")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate();
  }

  @AfterAll
  static void tearDown() {
    if (spark != null) {
      spark.stop();
      SparkSession.clearActiveSession();
      SparkSession.clearDefaultSession();
    }
  }

  @Test
  void textRecipeBeatsUnigramOnValidationAndTest() throws Exception {
    Path dir = tmp.resolve("text");
    Config conf = recipe("conf/text-kjv.conf", Map.ofEntries(
        Map.entry("prepare.input", "[\"" + RealData.KJV.fixture().toUri() + "\"]"),
        Map.entry("prepare.output", quoted(dir.resolve("data"))),
        Map.entry("prepare.seq-len", "128"),
        Map.entry("prepare.chunk-bytes", "2 KiB"),      // the recipe's documents are chunks of verses
        Map.entry("prepare.validation-fraction", "0.1"),
        Map.entry("prepare.test-fraction", "0.1"),
        Map.entry("train.output", quoted(dir.resolve("model"))),
        Map.entry("train.model", "{ d-model = 64, heads = 4, layers = 2, ffn-hidden = 256 }"),
        Map.entry("train.optim.learning-rate", "3e-3"),
        Map.entry("train.optim.warmup-steps", "10"),
        Map.entry("train.batch-size", "8"),
        Map.entry("train.steps", "80"),
        Map.entry("train.eval-every", "80"),
        Map.entry("train.eval-sequences", "64"),
        Map.entry("evaluate.output", quoted(dir.resolve("evaluation")))));
    PrepareResult prepared = PrepareCorpus.run(PrepareConfig.parse(conf), spark);
    assertTrue(prepared.manifest().split(Split.TEST).sequences() > 0, "the recipe holds out test rows");

    Path test = dir.resolve("data").resolve(Split.TEST.id());
    Path hidden = dir.resolve("test-hidden-while-training");
    Files.move(test, hidden);
    try {
      Train.run(TrainConfig.parse(conf));     // would fail to open a test shard: train never reads them
    } finally {
      Files.move(hidden, test);
    }

    for (Split split : new Split[] {Split.VALIDATION, Split.TEST}) {
      Evaluation e = Evaluate.run(EvaluateConfig.parse(with(conf, "evaluate.split", split.id(),
          "evaluate.output", quoted(dir.resolve("evaluation-" + split.id())))));
      assertEquals(split.id(), e.split());
      assertBeatsUnigram(e, 0.5);
    }
  }

  /** On a quiet 2-core machine: 24 s (120 steps in 18 s), 1.986 bits/base against the unigram's 2.049. */
  @Test
  void genomeRecipeBeatsOrderZeroAndRefusesAMissingTestSplit() throws Exception {
    Path dir = tmp.resolve("genome");
    Config conf = recipe("conf/genomics-ecoli.conf", Map.ofEntries(
        Map.entry("prepare.input", "[\"" + RealData.ECOLI.fixture().toUri() + "\"]"),
        Map.entry("prepare.output", quoted(dir.resolve("data"))),
        Map.entry("prepare.fasta.window", "127"),
        Map.entry("prepare.fasta.stride", "127"),
        Map.entry("prepare.seq-len", "128"),
        Map.entry("prepare.validation-fraction", "0.1"),
        Map.entry("prepare.test-fraction", "0"),
        Map.entry("prepare.chunk-bytes", "16 KiB"),
        Map.entry("train.output", quoted(dir.resolve("model"))),
        Map.entry("train.model.d-model", "32"),
        Map.entry("train.model.heads", "2"),
        Map.entry("train.model.layers", "2"),
        Map.entry("train.model.ffn-hidden", "128"),
        Map.entry("train.model.attention", "[{ kind = sliding-window, window = 32 },"
            + " { kind = lsh, hashes = 1, buckets = 4, chunk = 32, seed = 1 }]"),
        // learned positions: the recipe's rotary ones leave the unigram plateau only after ~300 k tokens (the full
        // run's step 80), more than this run's 123 k; with them it ends on the plateau (2.050 against 2.049)
        Map.entry("train.model.positions", "learned"),
        Map.entry("train.model.ffn-chunk", "0"),
        Map.entry("train.model.loss-chunk", "0"),
        Map.entry("train.model.dropout", "0"),
        Map.entry("train.optim.learning-rate", "1e-2"),
        Map.entry("train.optim.warmup-steps", "10"),
        Map.entry("train.batch-size", "8"),
        Map.entry("train.steps", "120"),
        Map.entry("train.eval-every", "120"),
        Map.entry("train.eval-sequences", "32"),
        Map.entry("evaluate.output", quoted(dir.resolve("evaluation")))));
    PrepareCorpus.run(PrepareConfig.parse(conf), spark);

    ConfigError missing = assertThrows(ConfigError.class, () -> Evaluate.run(EvaluateConfig.parse(
        with(conf, "evaluate.split", "test"))));
    assertTrue(missing.getMessage().startsWith("evaluate.split: the dataset ")
        && missing.getMessage().contains("has no test rows: prepare it with prepare.test-fraction"),
        missing.getMessage());

    Train.run(TrainConfig.parse(conf));
    Evaluation e = Evaluate.run(EvaluateConfig.parse(conf));
    assertEquals("base", e.unit());
    assertBeatsUnigram(e, 0.0);
  }

  /** The model's held-out bits per unit are below the unigram's by more than {@code margin}. */
  private static void assertBeatsUnigram(Evaluation e, double margin) {
    double model = score(e, "model");
    double unigram = score(e, "unigram");
    System.out.printf("RecipeCiTest: %s split, model %.3f vs unigram %.3f bits per %s%n%s", e.split(), model,
        unigram, e.unit(), e.toMarkdown());
    assertTrue(model < unigram - margin, String.format("on the %s split the model's %.3f bits per %s must beat the"
        + " unigram's %.3f by more than %.2f", e.split(), model, e.unit(), unigram, margin));
  }

  private static double score(Evaluation e, String kind) {
    return e.scores().stream().filter(s -> s.kind().equals(kind)).mapToDouble(Score::bitsPerUnit).findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " score in " + e.scores()));
  }

  /** The recipe file with the given keys replaced (HOCON values), substitutions resolved after the merge. */
  private static Config recipe(String file, Map<String, String> overrides) {
    Path path = Path.of(System.getProperty("project.root.dir", ".."), file);
    StringBuilder b = new StringBuilder();
    overrides.forEach((k, v) -> b.append(k).append(" = ").append(v).append('\n'));
    return ConfigFactory.parseString(b.toString()).withFallback(ConfigFactory.parseFile(path.toFile())).resolve();
  }

  private static Config with(Config conf, String... keyValues) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < keyValues.length; i += 2) {
      b.append(keyValues[i]).append(" = ").append(keyValues[i + 1]).append('\n');
    }
    return ConfigFactory.parseString(b.toString()).withFallback(conf).resolve();
  }

  private static String quoted(Path p) {
    return "\"" + p + "\"";
  }
}
