package dev.sparseattn.trainer.io;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import org.deeplearning4j.util.ModelSerializer;

/**
 * The tokenizer stored inside a saved model zip next to its weights and configuration, so that one
 * file is enough to load a model and encode text for it (DL4J's {@link ModelSerializer#addObjectToFile}).
 */
public final class ModelArchive {
  /** Entry name of the tokenizer description (the same JSON as the job's {@code tokenizer.json}). */
  public static final String TOKENIZER_KEY = "tokenizer.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  private ModelArchive() {}

  /** Adds the tokenizer description to the zip. */
  public static void writeTokenizer(File zip, Map<String, Object> tokenizer) throws IOException {
    ModelSerializer.addObjectToFile(zip, TOKENIZER_KEY, JSON.writeValueAsString(tokenizer));
  }

  /** The tokenizer description stored in the zip; empty for a zip written without one. */
  public static Optional<Map<String, Object>> readTokenizer(File zip) throws IOException {
    if (!ModelSerializer.listObjectsInFile(zip).contains(TOKENIZER_KEY)) {
      return Optional.empty();
    }
    String json = ModelSerializer.getObjectFromFile(zip, TOKENIZER_KEY);
    return Optional.of(JSON.readValue(json, new TypeReference<Map<String, Object>>() {}));
  }
}
