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
  public static final List<String> KNOWN = List.of(ByteTokenizer.NAME, NucleotideTokenizer.NAME,
      TimeSeriesTokenizer.NAME, BpeTokenizer.NAME);

  /**
   * A tokenizer by its name, with default settings for the configurable ones (nucleotide: single
   * bases, ambiguity codes as tokens, case folded; time-series: Chronos' 4,094 bins in [-15, 15], one
   * variable); unknown names are a {@link DataError} listing the known ones.
   */
  public static Tokenizer byName(String name) {
    return switch (String.valueOf(name)) {
      case ByteTokenizer.NAME -> new ByteTokenizer();
      case NucleotideTokenizer.NAME -> new NucleotideTokenizer(
          new NucleotideTokenizer.Options(1, false, AmbiguityRule.TOKEN, true));
      case TimeSeriesTokenizer.NAME -> new TimeSeriesTokenizer(new TimeSeriesTokenizer.Options(4094, -15, 15, 1));
      case BpeTokenizer.NAME -> throw new DataError("tokenizer 'bpe' is trained: rebuild it from its description");
      default -> throw new DataError("unknown tokenizer '" + name + "' (known: " + KNOWN + ")");
    };
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
    Tokenizer t;
    try {
      t = switch (name) {
        case NucleotideTokenizer.NAME -> NucleotideTokenizer.fromDescription(description);
        case TimeSeriesTokenizer.NAME -> TimeSeriesTokenizer.fromDescription(description);
        case BpeTokenizer.NAME -> BpeTokenizer.fromDescription(description);
        default -> byName(name);
      };
    } catch (RuntimeException e) {
      if (e instanceof DataError d) {
        throw d;
      }
      throw new DataError("tokenizer '" + name + "': invalid description (keys "
          + new java.util.TreeSet<>(description.keySet()) + "): " + e.getMessage(), e);
    }
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
