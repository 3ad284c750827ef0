package dev.sparseattn.datasets.tokenize;

import dev.sparseattn.datasets.config.DataError;
import dev.sparseattn.datasets.manifest.Manifest;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Builds tokenizers by name and rebuilds them from a manifest's tokenizer description. */
public final class Tokenizers {
  private Tokenizers() {}

  /** Names {@link #byName} knows. */
  public static final List<String> KNOWN = List.of(ByteTokenizer.NAME);

  /** A tokenizer by its name; unknown names are a {@link DataError} listing the known ones. */
  public static Tokenizer byName(String name) {
    if (ByteTokenizer.NAME.equals(name)) {
      return new ByteTokenizer();
    }
    throw new DataError("unknown tokenizer '" + name + "' (known: " + KNOWN + ")");
  }

  /** The tokenizer a dataset was prepared with. */
  public static Tokenizer fromManifest(Manifest manifest) {
    return fromDescription(manifest.tokenizer());
  }

  /**
   * Rebuilds a tokenizer from {@link Tokenizer#describe()} output and checks that the description's
   * vocabulary size and special ids match what the tokenizer really has.
   */
  public static Tokenizer fromDescription(Map<String, ?> description) {
    if (description == null || !(description.get("name") instanceof String name)) {
      throw new DataError("tokenizer description has no name: " + description);
    }
    Tokenizer t = byName(name);
    Map<String, Object> actual = t.describe();
    for (String key : List.of("vocab_size", "pad_id", "eos_id")) {
      Object got = description.get(key);
      if (!(got instanceof Number n) || n.longValue() != ((Number) actual.get(key)).longValue()) {
        throw new DataError("tokenizer '" + name + "': " + key + " is " + Objects.toString(got)
            + " in the description but " + actual.get(key) + " in this build");
      }
    }
    return t;
  }
}
