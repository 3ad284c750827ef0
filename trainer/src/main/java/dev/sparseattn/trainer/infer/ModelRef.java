package dev.sparseattn.trainer.infer;

import dev.sparseattn.datasets.fs.HadoopConfBytes;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparseattn.datasets.config.DataError;
import dev.sparseattn.datasets.fs.HadoopPaths;
import dev.sparseattn.datasets.shard.FileDigest;
import dev.sparseattn.datasets.tokenize.Tokenizer;
import dev.sparseattn.datasets.tokenize.Tokenizers;
import dev.sparseattn.trainer.io.ModelArchive;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import java.io.File;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.util.ModelSerializer;

/**
 * A trained model as executors find it: its {@code model.zip} on any Hadoop file system, the zip's SHA-256 (taken on
 * the driver, checked again where the zip is loaded, so every executor runs the very model the driver checked), the
 * architecture and the tokenizer description stored in the zip, and the driver's Hadoop configuration.
 *
 * @param zip qualified URI of {@code model.zip}
 * @param sha256 hex SHA-256 of the zip
 * @param configJson the {@link TransformerConfig} JSON stored in the zip
 * @param tokenizerJson the tokenizer description stored in the zip (JSON)
 * @param hadoopConf the driver's Hadoop configuration ({@link Configuration#write})
 * @param documentMask the model was trained with the document mask ({@code train.document-mask}): packed rows are
 *                     scored with it, as the model was trained and as {@code Evaluate} scores them
 */
public record ModelRef(String zip, String sha256, String configJson, String tokenizerJson, byte[] hadoopConf,
                       boolean documentMask)
    implements Serializable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * The model at {@code location} (a model directory written by the train job, or its {@code model.zip}); reads only
   * the zip's small entries, not the weights.
   *
   * @throws DataError naming the location when there is no model, or the zip lacks its architecture or tokenizer
   */
  public static ModelRef resolve(String location, Configuration conf) {
    String uri = HadoopPaths.resolve(location);
    Path given = uri.endsWith(".zip") ? new Path(uri) : new Path(uri, "model.zip");
    Path zip = given;
    try {
      FileSystem fs = given.getFileSystem(conf);
      zip = fs.makeQualified(given);
      if (!fs.exists(zip)) {
        throw new DataError("no model at " + zip + " (give a model directory written by the train job or its"
            + " model.zip)");
      }
      File local = copyToLocal(zip, conf);
      try {
        if (!ModelSerializer.listObjectsInFile(local).contains(TransformerLM.CONFIG_KEY)) {
          throw new DataError(zip + " holds no " + TransformerLM.CONFIG_KEY + ": not a model saved by TransformerLM");
        }
        String config = ModelSerializer.getObjectFromFile(local, TransformerLM.CONFIG_KEY);
        Map<String, Object> tokenizer = ModelArchive.readTokenizer(local).orElse(null);
        if (tokenizer == null) {
          throw new DataError("model " + zip + " stores no tokenizer (" + ModelArchive.TOKENIZER_KEY
              + "): retrain or re-save it");
        }
        return new ModelRef(zip.toString(), FileDigest.sha256(new Path(local.toURI()), conf), config,
            JSON.writeValueAsString(tokenizer), encode(conf),
            dev.sparseattn.trainer.eval.Evaluate.trainedWithDocumentMask(local));
      } finally {
        Files.deleteIfExists(local.toPath());
      }
    } catch (IOException e) {
      throw new DataError("cannot read model " + zip + ": " + e.getMessage(), e);
    }
  }

  /** The architecture stored in the zip. */
  public TransformerConfig config() {
    return TransformerConfig.fromJson(configJson);
  }

  /** The model's own tokenizer. */
  public Tokenizer tokenizer() {
    return Tokenizers.fromDescription(tokenizerDescription());
  }

  /** The tokenizer description stored in the zip. */
  public Map<String, Object> tokenizerDescription() {
    try {
      return JSON.readValue(tokenizerJson, new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() {});
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The driver's Hadoop configuration, rebuilt (on an executor). */
  public Configuration hadoopConfiguration() {
    return HadoopConfBytes.decode(hadoopConf);
  }

  /** The cache key: the same path with other content is another model. */
  String key() {
    return zip + "@" + sha256;
  }

  /** Copies the zip to a local temporary file (the caller deletes it). */
  static File copyToLocal(Path zip, Configuration conf) throws IOException {
    File local = Files.createTempFile("sparseattn-model-", ".zip").toFile();
    zip.getFileSystem(conf).copyToLocalFile(false, zip, new Path(local.toURI()), true);
    return local;
  }

  private static byte[] encode(Configuration conf) {
    return HadoopConfBytes.encode(conf);
  }
}
