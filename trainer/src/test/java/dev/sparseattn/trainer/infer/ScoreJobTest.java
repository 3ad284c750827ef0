package dev.sparseattn.trainer.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparseattn.datasets.config.DataError;
import dev.sparseattn.datasets.config.JobArgs;
import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.datasets.shard.ShardReader;
import dev.sparseattn.datasets.shard.ShardRow;
import dev.sparseattn.datasets.tokenize.AmbiguityRule;
import dev.sparseattn.datasets.tokenize.NucleotideTokenizer;
import dev.sparseattn.trainer.io.ModelArchive;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import dev.sparseattn.trainer.train.Evaluator;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * The score job with real Spark: every sequence's bits equal the single-machine {@link TransformerLM#sumNats} of that
 * row, the dataset total equals {@link Evaluator}'s, 1 and 2 partitions and local[1] / local[2] give identical
 * output, the model is loaded once per JVM, the Parquet reads back with parquet-hadoop's own reader, bad rows are
 * quarantined and accounted for, and a model that does not fit the dataset stops the job before any Spark job.
 */
class ScoreJobTest {
  private static final double LN2 = Math.log(2);
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path tmp;
  static Path data;
  static Path model;

  @BeforeAll
  static void setUp() throws Exception {
    data = InferFixture.shared().resolve("data");
    model = InferFixture.shared().resolve("model");
  }

  @AfterAll
  static void stopSpark() {
    InferFixture.spark("local[2]").stop();
  }

  private static ScoreConfig config(Path dataset, Path modelDir, String out, String... more) {
    List<String> args = new ArrayList<>(List.of("score.data=\"" + dataset.toUri() + "\"",
        "score.model=\"" + modelDir + "\"", "score.output=\"" + tmp.resolve(out) + "\"", "score.batch-size=4"));
    args.addAll(List.of(more));
    return ScoreConfig.parse(JobArgs.parseOverrides(args));
  }

  /** seq_id -> record, read without Spark. */
  private static Map<Long, Group> scores(String out) throws Exception {
    Map<Long, Group> byId = new TreeMap<>();
    for (Group g : InferFixture.readParquet(tmp.resolve(out).resolve("scores"))) {
      byId.put(g.getLong("seq_id", 0), g);
    }
    return byId;
  }

  @Test
  void scoresEqualSingleMachineSumNats() throws Exception {
    Map<String, Object> summary = Score.run(config(data, model, "scores-2", "score.token-scores=true"),
        InferFixture.spark("local[2]"));
    Map<Long, Group> out = scores("scores-2");
    PreparedDataset d = PreparedDataset.open(data.toUri().toString(), new Configuration());
    TransformerLM.Loaded local = TransformerLM.load(model.resolve("model.zip").toFile(), false);
    int rows = 0;
    for (org.apache.hadoop.fs.Path shard : d.shardPaths(Split.VALIDATION)) {
      try (ShardReader r = d.openShard(shard)) {
        for (ShardRow row; (row = r.read()) != null; rows++) {
          double[] nats = TransformerLM.sumNats(local.network(),
              TransformerLM.toDataSet(local.config(), new int[][] {row.tokens()},
                  row.segmentIds() == null ? null : new int[][] {row.segmentIds()}, 256,
                  org.nd4j.linalg.api.buffer.DataType.FLOAT));
          Group g = out.get(row.seqId());
          double bits = g.getDouble("bits", 0);
          assertEquals(nats[0] / LN2, bits, 1e-5 * bits, "seq " + row.seqId());
          assertEquals((int) nats[1], g.getInteger("n_tokens", 0));
          assertEquals(bits / nats[1], g.getDouble("bits_per_token", 0), 1e-12);
          // bytes: one unit per target (EOS is the '\n' separator)
          assertEquals((long) nats[1], g.getLong("n_units", 0));
          float[] track = InferFixture.floats(g, "token_bits");
          assertEquals(row.nTokens() - 1, track.length);
          assertEquals(bits, RowScorer.sumBits(track), 1e-12);
        }
      }
    }
    assertEquals(rows, out.size());
    Evaluator.Result whole = new Evaluator(d, 4, 0).evaluate(local.network(), local.config(), Split.VALIDATION);
    @SuppressWarnings("unchecked")
    Map<String, Object> totals = (Map<String, Object>) summary.get("totals");
    assertEquals(whole.tokens(), ((Number) totals.get("tokens")).longValue());
    assertEquals(whole.bitsPerToken(), (Double) totals.get("bits_per_token"), 1e-6 * whole.bitsPerToken());
    assertEquals("byte", totals.get("unit"));
    JsonNode written = JSON.readTree(tmp.resolve("scores-2/summary.json").toFile());
    assertEquals(rows, written.at("/records/read").asLong());
    assertEquals(rows, written.at("/records/written").asLong());
    assertEquals(0, written.at("/records/quarantined").asLong());
  }

  @Test
  void partitionsAndCoresChangeNothing() throws Exception {
    Score.run(config(data, model, "p1", "score.partitions=1"), InferFixture.spark("local[2]"));
    Score.run(config(data, model, "p2", "score.partitions=2"), InferFixture.spark("local[2]"));
    Score.run(config(data, model, "c1"), InferFixture.spark("local[1]"));
    Map<Long, Group> one = scores("p1");
    assertTrue(one.size() > 10);
    for (String other : List.of("p2", "c1")) {
      Map<Long, Group> o = scores(other);
      assertEquals(one.keySet(), o.keySet());
      for (long id : one.keySet()) {
        assertEquals(one.get(id).getDouble("bits", 0), o.get(id).getDouble("bits", 0), 0.0, other + " seq " + id);
      }
    }
    InferFixture.spark("local[2]");
  }

  @Test
  void modelLoadedOncePerJvm() throws Exception {
    Path copy = tmp.resolve("model-copy");
    Files.createDirectories(copy);
    Files.copy(model.resolve("model.zip"), copy.resolve("model.zip"));
    int before = ModelCache.loads();
    Map<String, Object> summary = Score.run(config(data, copy, "once"), InferFixture.spark("local[2]"));
    assertTrue((Integer) summary.get("partitions") >= 3, summary.toString());
    assertEquals(1, ModelCache.loads() - before);
    Score.run(config(data, copy, "twice"), InferFixture.spark("local[2]"));
    assertEquals(1, ModelCache.loads() - before);
  }

  @Test
  void badRowsAreQuarantinedAndCounted() throws Exception {
    Path bad = tmp.resolve("data-bad");
    InferFixture.withBadRows(data, bad);
    Map<String, Object> summary = Score.run(config(bad, model, "bad"), InferFixture.spark("local[2]"));
    JsonNode s = JSON.readTree(tmp.resolve("bad/summary.json").toFile());
    long read = s.at("/records/read").asLong();
    assertEquals(read, s.at("/records/written").asLong() + s.at("/records/quarantined").asLong());
    assertEquals(2, s.at("/records/quarantined").asLong());
    assertEquals(1, s.at("/records/by_reason/no-target").asLong());
    assertEquals(1, s.at("/records/by_reason/bad-token").asLong());
    assertEquals(read, s.at("/records/listed_in_manifest").asLong());
    assertEquals(read - 2, scores("bad").size());
    List<String> quarantine = new ArrayList<>();
    try (var files = Files.list(tmp.resolve("bad/quarantine"))) {
      for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".json")).toList()) {
        quarantine.addAll(Files.readAllLines(f));
      }
    }
    assertEquals(2, quarantine.size(), quarantine.toString());
    assertTrue(quarantine.stream().anyMatch(l -> l.contains("bad-token: id 999 at 5")), quarantine.toString());
    assertTrue(summary.containsKey("totals"));
  }

  /**
   * A length-free model (rotary positions, causal sliding windows) trained on rows of 16 tokens scores the dataset's
   * rows of 32 whole: each row's bits equal {@link TransformerLM#sumNats} of the model built at 32 tokens.
   */
  @Test
  void aLengthFreeModelScoresLongerRows() throws Exception {
    PreparedDataset d = PreparedDataset.open(data.toUri().toString(), new Configuration());
    TransformerConfig arch = new TransformerConfig(d.manifest().vocabSize(), 16, 16, 2, 2, 32, 7)
        .withAttention(dev.sparseattn.trainer.model.attention.AttentionSpec.slidingWindow(4, true))
        .withRotaryPositions();
    MultiLayerNetwork net = TransformerLM.build(arch, new Sgd(0.1), DataType.FLOAT);
    Path dir = tmp.resolve("window-model");
    Files.createDirectories(dir);
    File zip = dir.resolve("model.zip").toFile();
    TransformerLM.save(net, arch, zip, false);
    ModelArchive.writeTokenizer(zip, d.tokenizer().describe());
    assertEquals(32, d.manifest().seqLen());
    Score.run(config(data, dir, "longer-rows"), InferFixture.spark("local[2]"));
    Map<Long, Group> out = scores("longer-rows");
    TransformerLM.Loaded at32 = TransformerLM.atLength(TransformerLM.load(zip, false), 32);
    int rows = 0;
    for (org.apache.hadoop.fs.Path shard : d.shardPaths(Split.VALIDATION)) {
      try (ShardReader r = d.openShard(shard)) {
        for (ShardRow row; (row = r.read()) != null; rows++) {
          double[] nats = TransformerLM.sumNats(at32.network(), TransformerLM.toDataSet(at32.config(),
              new int[][] {row.tokens()}, row.segmentIds() == null ? null : new int[][] {row.segmentIds()}, 256,
              DataType.FLOAT));
          double bits = out.get(row.seqId()).getDouble("bits", 0);
          assertEquals(nats[0] / LN2, bits, 1e-5 * bits, "seq " + row.seqId());
        }
      }
    }
    assertTrue(rows > 0);
    assertEquals(rows, out.size());
  }

  @Test
  void aModelThatDoesNotFitFailsBeforeAnySparkJob() throws Exception {
    NucleotideTokenizer dna = new NucleotideTokenizer(new NucleotideTokenizer.Options(1, false, AmbiguityRule.TOKEN,
        true));
    TransformerConfig arch = new TransformerConfig(dna.vocabSize(), 16, 16, 2, 1, 32, 7);
    MultiLayerNetwork net = TransformerLM.build(arch, new Sgd(0.1), DataType.FLOAT);
    Path dir = tmp.resolve("dna-model");
    Files.createDirectories(dir);
    File zip = dir.resolve("model.zip").toFile();
    TransformerLM.save(net, arch, zip, false);
    ModelArchive.writeTokenizer(zip, dna.describe());
    SparkSession spark = InferFixture.spark("local[2]");
    int jobs = spark.sparkContext().statusTracker().getJobIdsForGroup(null).length;
    DataError e = assertThrows(DataError.class, () -> Score.run(config(data, dir, "misfit"), spark));
    assertTrue(e.getMessage().contains("tokenizer: the model was trained with 'nucleotide', the dataset was"
        + " prepared with 'byte'"), e.getMessage());
    assertTrue(e.getMessage().contains("vocabulary: the model has " + dna.vocabSize() + " ids, the dataset's"
        + " tokenizer 258"), e.getMessage());
    assertTrue(e.getMessage().contains("sequence length: the model reads at most 16 tokens, the dataset's rows"
        + " hold 32 inputs (only a model with rotary positions and causal sliding windows"), e.getMessage());
    assertEquals(jobs, spark.sparkContext().statusTracker().getJobIdsForGroup(null).length);
    assertTrue(!Files.exists(tmp.resolve("misfit")));
  }
}
