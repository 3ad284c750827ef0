package dev.sparseattn.trainer.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.trainer.model.attention.AttentionSpec;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import dev.sparseattn.trainer.model.network.TransformerConfig.Positions;
import dev.sparseattn.trainer.model.network.TransformerConfig.Residual;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The benchmarks' genomics shape stays the long-context model of issue #13, whatever the E. coli recipe trains. */
class BenchShapesTest {

  @Test
  void genomicsIsThePinnedLongContextShape() {
    BenchShapes shape = BenchShapes.of("genomics");
    TransformerConfig a = shape.arch();
    assertEquals(List.of(8, 4096, 128, 4, 6, 512), List.of(a.vocabSize(), a.seqLen(), a.dModel(), a.nHeads(),
        a.nLayers(), a.ffnHidden()));
    assertEquals(Residual.REVERSIBLE, a.residual());
    assertEquals(Positions.AXIAL, a.positions());
    assertEquals(List.of(64, 64), a.axialShape());
    assertTrue(a.tiedEmbeddings());
    assertEquals(List.of(1024, 1024), List.of(a.ffnChunk(), a.lossChunk()));
    assertEquals(0.05, a.dropout());
    assertEquals(6, a.attention().size());
    for (int layer = 0; layer < 6; layer++) {
      AttentionSpec spec = a.attention().get(layer);
      if (layer % 2 == 0) {
        assertEquals(List.of(AttentionSpec.Kind.SLIDING_WINDOW, 128), List.of(spec.kind(), spec.window()));
      } else {
        assertEquals(List.of(AttentionSpec.Kind.LSH, 2, 32, 128), List.of(spec.kind(), spec.nHashes(),
            spec.nBuckets(), spec.chunk()));
      }
    }
    assertEquals(4, shape.batch());
    assertEquals(1.0, shape.clip());
    assertEquals(4L * 4096, shape.tokensPerStep());
  }

  @Test
  void genomicsWindowDiffersOnlyInItsAttention() {
    TransformerConfig a = BenchShapes.of("genomics").arch();
    TransformerConfig w = BenchShapes.of("genomics-window").arch();
    assertEquals(1, w.attention().size());   // one spec: every layer
    AttentionSpec spec = w.attention().get(0);
    assertEquals(List.of(AttentionSpec.Kind.SLIDING_WINDOW, 128), List.of(spec.kind(), spec.window()));
    assertEquals(List.of(a.vocabSize(), a.seqLen(), a.dModel(), a.nHeads(), a.nLayers(), a.ffnHidden(), a.residual(),
        a.positions(), a.tiedEmbeddings(), a.ffnChunk(), a.lossChunk(), a.dropout()),
        List.of(w.vocabSize(), w.seqLen(), w.dModel(), w.nHeads(), w.nLayers(), w.ffnHidden(), w.residual(),
        w.positions(), w.tiedEmbeddings(), w.ffnChunk(), w.lossChunk(), w.dropout()));
    assertEquals(BenchShapes.of("genomics").tokensPerStep(), BenchShapes.of("genomics-window").tokensPerStep());
  }
}
