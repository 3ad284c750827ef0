package dev.sparseattn.trainer.eval;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.trainer.io.ModelArchive;
import dev.sparseattn.trainer.io.Provenance;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import java.io.File;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.learning.config.NoOp;

/** {@code Evaluate} scores a model with the document mask it was trained with (its provenance). */
class EvaluateDocumentMaskTest {

  @TempDir Path tmp;

  private File zip(String name, Map<String, Object> trainSection) throws Exception {
    TransformerConfig c = new TransformerConfig(5, 4, 4, 1, 1, 8, 1);
    File f = tmp.resolve(name).toFile();
    TransformerLM.save(TransformerLM.build(c, new NoOp()), c, f);
    if (trainSection != null) {
      ModelArchive.writeProvenance(f, new Provenance("0".repeat(64), "data", trainSection, 1, Map.of()));
    }
    return f;
  }

  @Test
  void followsTheTrainingConfiguration() throws Exception {
    assertTrue(Evaluate.trainedWithDocumentMask(zip("on.zip", Map.of("document-mask", true))));
    assertFalse(Evaluate.trainedWithDocumentMask(zip("off.zip", Map.of("document-mask", false))));
    assertFalse(Evaluate.trainedWithDocumentMask(zip("before.zip", Map.of("steps", 3))), "trained before the key");
    assertTrue(Evaluate.trainedWithDocumentMask(zip("none.zip", null)), "no provenance: the default");
  }
}
