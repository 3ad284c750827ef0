package dev.sparseattn.trainer.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.config.ConfigError;
import dev.sparseattn.datasets.config.JobArgs;
import dev.sparseattn.datasets.tokenize.AmbiguityRule;
import dev.sparseattn.datasets.tokenize.ByteTokenizer;
import dev.sparseattn.datasets.tokenize.NucleotideTokenizer;
import dev.sparseattn.trainer.train.KmerObjective;
import dev.sparseattn.trainer.train.TokenUnits;
import dev.sparseattn.trainer.train.Train;
import dev.sparseattn.trainer.train.TrainConfig;
import dev.sparseattn.trainer.train.TrainedModel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A causal model on overlapping k-mers is refused unless asked for; bits per base use the stride. */
class OverlappingKmerTrainTest {
  @TempDir Path tmp;

  private static NucleotideTokenizer kmers(int k, boolean overlapping) {
    return new NucleotideTokenizer(new NucleotideTokenizer.Options(k, overlapping, AmbiguityRule.TOKEN, true));
  }

  private TrainConfig config(Path data, Path out, String... more) {
    List<String> o = new java.util.ArrayList<>(List.of("train.data=\"" + data.toUri() + "\"",
        "train.output=\"" + out + "\"", "train.model.d-model=16", "train.model.heads=2", "train.model.layers=1",
        "train.batch-size=2", "train.steps=2", "train.eval-every=2", "train.eval-sequences=4",
        "train.optim.warmup-steps=1"));
    o.addAll(List.of(more));
    return TrainConfig.parse(JobArgs.parseOverrides(o));
  }

  @Test
  void theTrainJobRefusesOverlappingKmersBeforeTrainingNamingTheKeys() throws Exception {
    Path data = tmp.resolve("k4");
    EvaluateGenomeTest.write(data, kmers(4, true), EvaluateGenomeTest.genome(2_000), 64);
    Path out = tmp.resolve("refused");
    ConfigError e = assertThrows(ConfigError.class, () -> Train.run(config(data, out)));
    assertTrue(e.getMessage().startsWith("train.allow-overlapping-kmers: "), e.getMessage());
    for (String key : List.of("prepare.nucleotide.k = 4", "prepare.nucleotide.overlapping = true", "causal")) {
      assertTrue(e.getMessage().contains(key), key + " in " + e.getMessage());
    }
    assertFalse(Files.exists(out), "refused before the output directory is made");

    TrainedModel m = Train.run(config(data, tmp.resolve("allowed"), "train.allow-overlapping-kmers=true"));
    Map<String, Object> summary = new com.fasterxml.jackson.databind.ObjectMapper()
        .readValue(tmp.resolve("allowed/summary.json").toFile(), Map.class);
    double perToken = ((Number) summary.get("validation_bits_per_token")).doubleValue();
    assertEquals(1, summary.get("bases_per_token"), "an overlapping k-mer adds one new base");
    assertEquals(perToken, ((Number) summary.get("validation_bits_per_base")).doubleValue(), 1e-12);
    assertTrue(Double.isFinite(perToken) && m.network().numParams() > 0);
  }

  @Test
  void nonOverlappingKmersTrainAndReportBitsPerBaseOverK() throws Exception {
    Path data = tmp.resolve("k3");
    EvaluateGenomeTest.write(data, kmers(3, false), EvaluateGenomeTest.genome(3_000), 64);
    Train.run(config(data, tmp.resolve("k3-run")));
    Map<String, Object> summary = new com.fasterxml.jackson.databind.ObjectMapper()
        .readValue(tmp.resolve("k3-run/summary.json").toFile(), Map.class);
    assertEquals(3, summary.get("bases_per_token"));
    assertEquals(((Number) summary.get("validation_bits_per_token")).doubleValue() / 3,
        ((Number) summary.get("validation_bits_per_base")).doubleValue(), 1e-12);
    assertEquals(((Number) summary.get("train_bits_per_token")).doubleValue() / 3,
        ((Number) summary.get("train_bits_per_base")).doubleValue(), 1e-12);
  }

  @Test
  void checkAndUnitsForEveryKAndStride() {
    for (int k = 1; k <= 8; k++) {
      for (boolean overlapping : new boolean[] {false, true}) {
        NucleotideTokenizer t = kmers(k, overlapping);
        boolean refused = k > 1 && overlapping;
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(sink, true, StandardCharsets.UTF_8);
        if (refused) {
          assertThrows(ConfigError.class, () -> KmerObjective.check(t, false, out));
          KmerObjective.check(t, true, out);
          assertTrue(sink.toString(StandardCharsets.UTF_8).startsWith("WARNING: "), "k " + k);
        } else {
          KmerObjective.check(t, false, out);
          assertEquals("", sink.toString(StandardCharsets.UTF_8), "k " + k);
        }
        TokenUnits u = TokenUnits.of(t).orElseThrow();
        assertEquals("base", u.unit());
        assertEquals(refused ? 1 : k, u.perToken(), "k " + k + " overlapping " + overlapping);
        assertEquals(6.0 / u.perToken(), u.bitsPerUnit(6.0), 1e-12);
      }
    }
    assertEquals(new TokenUnits("byte", 1), TokenUnits.of(new ByteTokenizer()).orElseThrow());
  }
}
