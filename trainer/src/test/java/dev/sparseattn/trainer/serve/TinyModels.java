package dev.sparseattn.trainer.serve;

import dev.sparseattn.datasets.tokenize.Tokenizer;
import dev.sparseattn.trainer.io.ModelArchive;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;

/** Saves a tiny, seeded, randomly initialised model (double precision) as the train job would, for the tests. */
final class TinyModels {
  private TinyModels() {}

  /**
   * A model directory holding {@code model.zip} with the tokenizer inside; returns the directory.
   *
   * @param rotary rotary positions (decodes past seqLen) instead of learned ones
   */
  static Path save(Path dir, Tokenizer tokenizer, int seqLen, boolean rotary) throws IOException {
    return save(dir, tokenizer, seqLen, rotary, null);
  }

  /** {@link #save(Path, Tokenizer, int, boolean)} with one attention pattern for every layer (null: dense). */
  static Path save(Path dir, Tokenizer tokenizer, int seqLen, boolean rotary,
                   dev.sparseattn.trainer.model.attention.AttentionSpec attention) throws IOException {
    TransformerConfig dense = new TransformerConfig(tokenizer.vocabSize(), seqLen, 16, 2, 2, 32, 4242);
    TransformerConfig learned = attention == null ? dense : dense.withAttention(attention);
    TransformerConfig config = rotary ? learned.withRotaryPositions() : learned;
    MultiLayerNetwork net = TransformerLM.build(config, new Adam(1e-3), DataType.DOUBLE);
    Files.createDirectories(dir);
    File zip = dir.resolve("model.zip").toFile();
    TransformerLM.save(net, config, zip, false);
    ModelArchive.writeTokenizer(zip, tokenizer.describe());
    return dir;
  }
}
