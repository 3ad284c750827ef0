package dev.sparseattn.trainer.serve;

import dev.sparseattn.datasets.config.DataError;
import dev.sparseattn.datasets.fs.HadoopPaths;
import dev.sparseattn.datasets.tokenize.Tokenizer;
import dev.sparseattn.datasets.tokenize.Tokenizers;
import dev.sparseattn.trainer.io.ModelArchive;
import dev.sparseattn.trainer.io.ModelDirectory;
import dev.sparseattn.trainer.io.Provenance;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import java.io.File;
import java.io.IOException;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * The model a server answers with: network, architecture, tokenizer and (when the zip records it) provenance.
 *
 * @param provenance null for a model saved before provenance was recorded
 */
public record ServedModel(MultiLayerNetwork network, TransformerConfig config, Tokenizer tokenizer,
                          Provenance provenance) {

  public ServedModel {
    if (tokenizer.vocabSize() != config.vocabSize()) {
      throw new DataError("the tokenizer has " + tokenizer.vocabSize() + " ids but the model's vocabulary has "
          + config.vocabSize());
    }
  }

  /** Loads {@code model.zip} (and its tokenizer) from a model directory written by the train job. */
  public static ServedModel load(String directory) throws IOException {
    ModelDirectory dir = ModelDirectory.openExisting(HadoopPaths.resolve(directory), new Configuration());
    File zip = dir.fetch("model.zip");
    // the zip carries its tokenizer; models saved before it did have only the directory's tokenizer.json
    Map<String, Object> stored = ModelArchive.readTokenizer(zip).orElse(null);
    Tokenizer tokenizer = Tokenizers.fromDescription(stored != null ? stored : dir.readJson("tokenizer.json"));
    TransformerLM.Loaded loaded = TransformerLM.load(zip, false);
    return new ServedModel(loaded.network(), loaded.config(), tokenizer,
        ModelArchive.readProvenance(zip).orElse(null));
  }
}
