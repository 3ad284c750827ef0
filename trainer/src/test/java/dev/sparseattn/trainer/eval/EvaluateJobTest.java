package dev.sparseattn.trainer.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparseattn.datasets.config.Cli;
import dev.sparseattn.datasets.config.JobArgs;
import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.datasets.shard.ShardReader;
import dev.sparseattn.datasets.shard.ShardRow;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.train.Evaluator;
import dev.sparseattn.trainer.train.TinyDataset;
import dev.sparseattn.trainer.train.Train;
import dev.sparseattn.trainer.train.TrainConfig;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The evaluate job end to end on a tiny prepared dataset (byte tokenizer) and a tiny trained model. */
class EvaluateJobTest {
  @TempDir static Path tmp;
  static Path data;
  static Path model;

  @BeforeAll
  static void trainTinyModel() throws Exception {
    data = tmp.resolve("data");
    model = tmp.resolve("model");
    Path sample = Paths.get(System.getProperty("project.root.dir", ".."), "data/sample/kjv-sample.txt.gz");
    List<String> lines;
    try (BufferedReader r = new BufferedReader(new InputStreamReader(
        new GZIPInputStream(Files.newInputStream(sample)), StandardCharsets.UTF_8))) {
      lines = r.lines().limit(300).collect(Collectors.toList());
    }
    TinyDataset.write(data, lines, 32, 10);
    Train.run(TrainConfig.parse(JobArgs.parseOverrides(List.of(
        "train.data=\"" + data.toUri() + "\"", "train.output=\"" + model + "\"",
        "train.model.d-model=32", "train.model.heads=2", "train.model.layers=1",
        "train.batch-size=8", "train.steps=10", "train.eval-every=10", "train.log-every=10",
        "train.eval-sequences=16", "train.optim.warmup-steps=5", "train.optim.learning-rate=0.01"))));
  }

  private static EvaluateConfig config(String out, String... more) {
    List<String> args = new ArrayList<>(List.of("evaluate.data=\"" + data.toUri() + "\"",
        "evaluate.output=\"" + tmp.resolve(out) + "\""));
    args.addAll(List.of(more));
    return EvaluateConfig.parse(JobArgs.parseOverrides(args));
  }

  /** The validation targets' bytes, rebuilt here straight from the shards: tokens[1..n), EOS as '\n'. */
  private static byte[] validationTargets(PreparedDataset d) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (org.apache.hadoop.fs.Path shard : d.shardPaths(Split.VALIDATION)) {
      try (ShardReader r = d.openShard(shard)) {
        for (ShardRow row; (row = r.read()) != null; ) {
          for (int j = 1; j < row.nTokens(); j++) {
            int id = row.tokens()[j];
            out.write(id == d.tokenizer().eosId() ? '\n' : id);
          }
        }
      }
    }
    return out.toByteArray();
  }

  @Test
  void scoresTheModelAndEveryBaselineOnTheSameHeldOutBytes() throws Exception {
    Evaluation e = Evaluate.run(config("eval", "evaluate.model=\"" + model + "\"", "evaluate.markov-orders=[1,2,3]"));
    PreparedDataset d = PreparedDataset.open(data.toUri().toString(), new Configuration());
    byte[] targets = validationTargets(d);

    assertEquals("byte", e.unit());
    assertTrue(e.heldOutComplete());
    assertEquals(targets.length, e.heldOutUnits());
    List<String> methods = e.scores().stream().map(Score::method).toList();
    assertEquals(List.of("unigram (add-one)", "order-1 Markov (Witten-Bell)", "order-2 Markov (Witten-Bell)",
        "order-3 Markov (Witten-Bell)", "gzip -9", "bzip2 -9", "xz -6", "zstd -19"), methods.subList(1, methods.size()));

    // the model's figure is the trainer's own evaluator over the whole validation split (a byte is a token)
    TransformerLM.Loaded m = TransformerLM.load(model.resolve("model.zip").toFile(), false);
    Evaluator.Result r = new Evaluator(d, 8, 0).evaluate(m.network(), m.config(), Split.VALIDATION);
    assertEquals(targets.length, r.tokens());
    assertEquals(r.bitsPerToken(), e.scores().get(0).bitsPerUnit(), 1e-12);
    assertEquals(r.bitsPerToken(), e.modelBitsPerToken(), 1e-12);
    assertTrue(e.scores().get(0).bitsPerUnit() < 8);

    // the compressors coded exactly the validation targets
    for (Compressor c : Compressor.values()) {
      Score s = e.scores().stream().filter(x -> x.method().equals(c.label())).findFirst().orElseThrow();
      assertEquals(c.bitsPerByte(targets), s.bitsPerUnit(), 1e-15);
    }
    // English: context helps, and every figure is well below 8 bits
    double unigram = e.scores().get(1).bitsPerUnit();
    assertTrue(unigram > 3.5 && unigram < 5.5, "unigram " + unigram);
    assertTrue(e.scores().get(3).bitsPerUnit() < e.scores().get(2).bitsPerUnit(), "order 2 beats order 1");
    assertTrue(e.scores().get(2).bitsPerUnit() < unigram, "order 1 beats unigram");

    JsonNode json = new ObjectMapper().readTree(tmp.resolve("eval/evaluation.json").toFile());
    assertEquals(targets.length, json.get("held_out_units").asLong());
    assertEquals(9, json.get("scores").size());
    assertEquals(2, json.get("scores").get(3).get("order").asInt());
    assertEquals(e.scores().get(4).bitsPerUnit(), json.get("scores").get(4).get("bits_per_byte").asDouble(), 0);
    String md = Files.readString(tmp.resolve("eval/evaluation.md"));
    assertTrue(md.contains("| method | bits per byte |"), md);
    assertTrue(md.contains(String.format(java.util.Locale.ROOT, "| xz -6 | %.3f |", e.scores().get(7).bitsPerUnit())), md);
    // the resolved configuration parses back to the same configuration
    assertEquals(config("eval", "evaluate.model=\"" + model + "\"", "evaluate.markov-orders=[1,2,3]").resolved(),
        EvaluateConfig.parse(com.typesafe.config.ConfigFactory.parseString(
            Files.readString(tmp.resolve("eval/evaluate.conf")))).resolved());
  }

  @Test
  void aByteCapScoresWholeLeadingRowsAndTheModelOnTheSameRows() throws Exception {
    Evaluation e = Evaluate.run(config("capped", "evaluate.model=\"" + model.resolve("model.zip") + "\"",
        "evaluate.max-bytes=100", "evaluate.markov-orders=[2]"));
    assertFalse(e.heldOutComplete());
    assertEquals(3, e.heldOutRows()); // rows of 32 targets: 3 fit in 100 bytes
    assertEquals(96, e.heldOutUnits());
    assertEquals(e.modelBitsPerToken(), e.scores().get(0).bitsPerUnit(), 1e-12);
  }

  @Test
  void configurationErrorsNameTheKey() throws Exception {
    String conf = Files.writeString(tmp.resolve("evaluate.conf"), "evaluate { batch-size = 4 }\n").toString();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Cli.execute("evaluate", new String[] {conf, "evaluate.data=\"" + data.toUri() + "\"",
        "evaluate.output=\"" + tmp.resolve("bad") + "\"", "evaluate.markov-orders=[7]"},
        EvaluateConfig::parse, Evaluate::run, new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(2, status);
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("evaluate.markov-orders: order 7 exceeds 6"), err.toString());
    err.reset();
    status = Cli.execute("evaluate", new String[] {conf, "evaluate.data=x", "evaluate.output=y", "evaluate.orders=[1]"},
        EvaluateConfig::parse, Evaluate::run, new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(2, status);
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("evaluate.orders: unknown key"), err.toString());
  }
}
