package dev.sparseattn.trainer.infer;

import dev.sparseattn.datasets.config.DataError;
import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Whether a model can be applied to a prepared dataset, checked on the driver before any Spark job: the same tokenizer
 * (name, which is the domain: text, DNA or time series; vocabulary; special ids; every setting such as k-mer size or
 * BPE merges), and rows no longer than the model reads (any length for a {@link TransformerLM#lengthFree} model).
 */
public final class ModelFit {
  private ModelFit() {}

  /** Every mismatch between {@code model} and {@code data}, in words; empty when they fit. */
  public static List<String> mismatches(ModelRef model, PreparedDataset data) {
    List<String> problems = new ArrayList<>();
    TransformerConfig arch = model.config();
    Map<String, Object> mine = model.tokenizerDescription();
    Map<String, Object> theirs = data.manifest().tokenizer();
    if (!Objects.equals(mine.get("name"), theirs.get("name"))) {
      problems.add("tokenizer: the model was trained with '" + mine.get("name") + "', the dataset was prepared with '"
          + theirs.get("name") + "' (another domain or vocabulary)");
    } else {
      for (String key : new TreeSet<>(union(mine, theirs))) {
        if (!sameValue(mine.get(key), theirs.get(key))) {
          problems.add("tokenizer '" + mine.get("name") + "': " + key + " is " + brief(mine.get(key))
              + " for the model but " + brief(theirs.get(key)) + " for the dataset");
        }
      }
    }
    if (arch.vocabSize() != data.manifest().vocabSize()) {
      problems.add("vocabulary: the model has " + arch.vocabSize() + " ids, the dataset's tokenizer "
          + data.manifest().vocabSize());
    }
    if (arch.seqLen() < data.manifest().seqLen() && !TransformerLM.lengthFree(arch)) {
      problems.add("sequence length: the model reads at most " + arch.seqLen() + " tokens, the dataset's rows hold "
          + data.manifest().seqLen() + " inputs (" + TransformerLM.LONGER_ROWS + ")");
    }
    return problems;
  }

  /**
   * Why a model cannot read raw documents in windows of {@code window} tokens, or null when it can: 0 is the model's
   * training length; a longer window needs a {@link TransformerLM#lengthFree} model; a shorter one is refused.
   */
  public static String windowProblem(TransformerConfig arch, int window) {
    int trained = arch.seqLen();
    if (window == 0 || window == trained || window > trained && TransformerLM.lengthFree(arch)) {
      return null;
    }
    return window < trained
        ? "must be 0 (the model's " + trained + " tokens) or at least " + trained + ", got " + window
        : "the model reads windows of " + trained + " tokens, got " + window + ": " + TransformerLM.LONGER_ROWS;
  }

  /** Fails with a {@link DataError} listing every mismatch. */
  public static void check(ModelRef model, PreparedDataset data) {
    List<String> problems = mismatches(model, data);
    if (!problems.isEmpty()) {
      throw new DataError("model " + model.zip() + " does not fit dataset " + data.dir() + ": "
          + String.join("; ", problems));
    }
  }

  private static java.util.Set<String> union(Map<String, Object> a, Map<String, Object> b) {
    java.util.Set<String> keys = new java.util.HashSet<>(a.keySet());
    keys.addAll(b.keySet());
    return keys;
  }

  /** JSON values compared as JSON: numbers by value whatever their Java type. */
  private static boolean sameValue(Object a, Object b) {
    if (a instanceof Number x && b instanceof Number y) {
      return x.doubleValue() == y.doubleValue();
    }
    return Objects.equals(a, b);
  }

  private static String brief(Object v) {
    String s = String.valueOf(v);
    return s.length() > 60 ? s.substring(0, 57) + "..." : s;
  }
}
