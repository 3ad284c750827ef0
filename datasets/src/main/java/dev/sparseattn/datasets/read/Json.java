package dev.sparseattn.datasets.read;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The small metadata objects readers attach to documents, built and written by Jackson
 * (jackson-databind: provided by Spark at run time, 2.15.2, the version the build compiles against).
 */
final class Json {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {}

  /** A new, empty object; fields keep the order they are put in. */
  static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  /** The object as compact JSON text. */
  static String text(ObjectNode o) {
    try {
      return MAPPER.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a tree of plain values always serialises", e);
    }
  }
}
