package dev.sparseattn.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.config.ConfigError;
import dev.sparseattn.datasets.config.JobArgs;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.attention.AttentionSpec;
import dev.sparseattn.trainer.model.attention.AttentionSpec.Kind;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Attention patterns chosen per layer in the train job's configuration. */
class AttentionConfigTest {
  @TempDir Path tmp;

  private static TrainConfig parse(String... extra) {
    List<String> o = new ArrayList<>(List.of("train.data=d", "train.output=o", "train.model.layers=2"));
    o.addAll(List.of(extra));
    return TrainConfig.parse(JobArgs.parseOverrides(o));
  }

  @Test
  void onePatternPerLayer() {
    TrainConfig c = parse("train.model.attention=[{kind=sliding-window, window=8, dilations=[1,2,1,2], global=[0]},"
        + " {kind=lsh, hashes=2, buckets=4, chunk=8, seed=3}]");
    List<AttentionSpec> a = c.model().attention();
    assertEquals(Kind.SLIDING_WINDOW, a.get(0).kind());
    assertEquals(8, a.get(0).window());
    assertEquals(List.of(1, 2, 1, 2), a.get(0).dilations());
    assertEquals(List.of(0), a.get(0).globalPositions());
    assertTrue(a.get(0).causal() && a.get(1).causal(), "a language model's patterns are causal");
    assertEquals(new AttentionSpec(Kind.LSH, true, 64, 0, List.of(), List.of(), 64, 1, false, 0, 2, 4, 8, 3), a.get(1));
  }

  @Test
  void mistakesNameTheKey() {
    assertTrue(assertThrows(ConfigError.class, () -> parse("train.model.attention=[{kind=sliding, window=8}]"))
        .getMessage().contains("train.model.attention[0].kind"));
    assertTrue(assertThrows(ConfigError.class, () -> parse("train.model.attention=[{kind=lsh, windw=8}]"))
        .getMessage().contains("train.model.attention[0].windw"));
    assertTrue(assertThrows(ConfigError.class, () -> parse(
        "train.model.attention=[{kind=lsh}, {kind=lsh}, {kind=lsh}]")).getMessage().contains("train.model.attention"));
  }

  @Test
  void trainsWithSparsePatternsAndSavesThem() throws Exception {
    Path data = tmp.resolve("data");
    TinyDataset.write(data, TrainJobTest.sampleLines(40), 32, 10);
    TrainConfig c = TrainConfig.parse(JobArgs.parseOverrides(List.of(
        "train.data=\"" + data.toUri() + "\"", "train.output=\"" + tmp.resolve("out") + "\"",
        "train.model.d-model=16", "train.model.heads=2", "train.model.layers=2", "train.batch-size=4",
        "train.steps=30", "train.eval-every=30", "train.log-every=30", "train.eval-sequences=8",
        "train.optim.warmup-steps=2", "train.optim.learning-rate=0.01",
        "train.model.attention=[{kind=sliding-window, window=8}, {kind=lsh, hashes=2, buckets=4, chunk=8}]")));
    TrainedModel m = Train.run(c);
    double validation = (double) m.summary().get("validation_bits_per_token");
    assertTrue(validation < 7.0, "validation bits per byte after 30 steps: " + validation);
    TransformerLM.Loaded loaded = TransformerLM.load(tmp.resolve("out/model.zip").toFile(), false);
    assertEquals(Kind.SLIDING_WINDOW, loaded.config().attentionFor(0).kind());
    assertEquals(Kind.LSH, loaded.config().attentionFor(1).kind());
  }
}
