package dev.sparseattn.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.config.ConfigError;
import dev.sparseattn.datasets.config.JobArgs;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import dev.sparseattn.trainer.model.network.TransformerConfig.Positions;
import dev.sparseattn.trainer.model.network.TransformerConfig.Residual;
import dev.sparseattn.trainer.model.attention.AttentionSpec.Kind;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The {@code train.model} keys of the reversible, chunked model and how they become a {@link TransformerConfig}. */
class ModelShapeTest {

  private static ModelShape parse(String... extra) {
    List<String> o = new ArrayList<>(List.of("train.data=d", "train.output=o"));
    o.addAll(List.of(extra));
    return TrainConfig.parse(JobArgs.parseOverrides(o)).model();
  }

  @Test
  void defaultsAreTheStandardModel() {
    TransformerConfig c = parse().architecture(258, 256, 7);
    assertEquals(new TransformerConfig(258, 256, 128, 4, 2, 512, 7), c);
  }

  @Test
  void reversibleKeysReachTheArchitecture() {
    TransformerConfig c = parse("train.model.residual=reversible", "train.model.positions=axial",
        "train.model.axial-shape=[8, 32]", "train.model.tied-embeddings=true", "train.model.ffn-chunk=64",
        "train.model.loss-chunk=32", "train.model.dropout=0.1").architecture(258, 256, 7);
    assertEquals(Residual.REVERSIBLE, c.residual());
    assertEquals(Positions.AXIAL, c.positions());
    assertEquals(List.of(8, 32), c.axialShape());
    assertTrue(c.tiedEmbeddings());
    assertEquals(64, c.ffnChunk());
    assertEquals(32, c.lossChunk());
    assertEquals(0.1, c.dropout());
  }

  @Test
  void aCycleOfPatternsRepeatsOverTheLayers() {
    ModelShape m = parse("train.model.layers=6",
        "train.model.attention=[{kind=sliding-window, window=8}, {kind=lsh, buckets=4, chunk=8}]");
    assertEquals(6, m.attention().size());
    for (int i = 0; i < 6; i++) {
      assertEquals(i % 2 == 0 ? Kind.SLIDING_WINDOW : Kind.LSH, m.attention().get(i).kind(), "layer " + i);
    }
    assertEquals("train.model.attention", assertThrows(ConfigError.class, () -> parse("train.model.layers=5",
        "train.model.attention=[{kind=sliding-window, window=8}, {kind=lsh, buckets=4, chunk=8}]")).key());
  }

  @Test
  void axialShapeDefaultsToTwoFactorsNearTheSquareRoot() {
    assertEquals(List.of(64, 64), ModelShape.defaultAxialShape(4096));
    assertEquals(List.of(16, 32), ModelShape.defaultAxialShape(512));
    assertEquals(List.of(25, 40), ModelShape.defaultAxialShape(1000));
    assertEquals(List.of(16, 16), parse("train.model.positions=axial").architecture(258, 256, 1).axialShape());
  }

  @Test
  void badValuesNameTheirKey() {
    assertEquals("train.model.residual",
        assertThrows(ConfigError.class, () -> parse("train.model.residual=sideways")).key());
    assertEquals("train.model.axial-shape",
        assertThrows(ConfigError.class, () -> parse("train.model.axial-shape=[16, 16]")).key(),
        "axial factors without axial positions");
    assertEquals("train.model.dropout",
        assertThrows(ConfigError.class, () -> parse("train.model.dropout=1.5")).key());
    assertEquals("train.model.ffn-chunk",
        assertThrows(ConfigError.class, () -> parse("train.model.ffn-chunk=-1")).key());
    ModelShape axial = parse("train.model.positions=axial", "train.model.axial-shape=[16, 16]");
    ConfigError e = assertThrows(ConfigError.class, () -> axial.architecture(258, 512, 1));
    assertEquals("train.model.axial-shape", e.key());
    assertTrue(e.getMessage().contains("512"), e.getMessage());
  }
}
