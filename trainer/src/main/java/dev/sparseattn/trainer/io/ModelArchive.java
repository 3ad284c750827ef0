package dev.sparseattn.trainer.io;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import org.deeplearning4j.util.ModelSerializer;

/**
 * The tokenizer and the {@link Provenance} stored inside a saved model zip next to its weights and configuration, so
 * that one file is enough to load a model, encode text for it and tell what produced it (DL4J's
 * {@link ModelSerializer#addObjectToFile}).
 */
public final class ModelArchive {
  /** Entry name of the tokenizer description (the same JSON as the job's {@code tokenizer.json}). */
  public static final String TOKENIZER_KEY = "tokenizer.json";
  /** Entry name of the provenance record (JSON). */
  public static final String PROVENANCE_KEY = "provenance.json";

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

  /** Adds the provenance record to the zip. */
  public static void writeProvenance(File zip, Provenance provenance) throws IOException {
    ModelSerializer.addObjectToFile(zip, PROVENANCE_KEY, JSON.writeValueAsString(provenance));
  }

  /** The provenance stored in the zip; empty for a zip written without one (before it was recorded). */
  public static Optional<Provenance> readProvenance(File zip) throws IOException {
    if (!ModelSerializer.listObjectsInFile(zip).contains(PROVENANCE_KEY)) {
      return Optional.empty();
    }
    String json = ModelSerializer.getObjectFromFile(zip, PROVENANCE_KEY);
    try {
      return Optional.of(JSON.readValue(json, Provenance.class));
    } catch (IOException | IllegalArgumentException e) {
      throw new IOException(zip + ": unreadable " + PROVENANCE_KEY + ": " + e.getMessage(), e);
    }
  }
}
