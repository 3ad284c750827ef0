package dev.sparseattn.trainer.infer;

import dev.sparseattn.datasets.config.Section;
import dev.sparseattn.datasets.manifest.Split;
import java.io.Serializable;

/**
 * The keys the batch inference jobs share, read from their section ({@code score} or {@code embed}).
 *
 * @param model a model directory written by the train job, or its {@code model.zip}
 * @param data the prepared dataset, or null when {@code raw} is given
 * @param split the split to read
 * @param output the output directory
 * @param overwrite whether an existing output directory may be replaced
 * @param batchSize sequences per forward pass
 * @param window raw input: tokens per window a document is cut into; 0 for the model's training length (a longer one
 *     only for a {@link dev.sparseattn.trainer.model.TransformerLM#lengthFree} model, checked before the job)
 * @param stride raw input, score job: tokens between the starts of overlapping windows (each target scored once, with
 *     at least {@code window - stride} tokens of context); 0 for disjoint windows
 * @param partitions Spark tasks; 0 for one per shard
 * @param master Spark master, used only when spark-submit or the JVM did not set one
 * @param appName Spark application name
 * @param raw raw input files read instead of a prepared dataset ({@code input}, {@code format}, ...), or null
 */
public record InferenceSettings(String model, String data, Split split, String output, boolean overwrite,
                                int batchSize, int window, int stride, int partitions, String master, String appName,
                                RawInput raw)
    implements Serializable {

  /** Reads the shared keys of {@code s} (the caller reads its own keys and calls {@code finish}). */
  public static InferenceSettings parse(Section s, String defaultAppName) {
    String model = s.string("model");
    String data = s.string("data", "");
    RawInput raw = RawInput.parse(s);
    s.check(data.isEmpty() != (raw == null), "data", data.isEmpty()
        ? "give a prepared dataset (data) or raw input files (input)"
        : "give either a prepared dataset (data) or raw input files (input), not both");
    Split split = s.choice("split", Split.class, Split.VALIDATION);
    String output = s.string("output");
    boolean overwrite = s.bool("overwrite", false);
    int batch = s.integer("batch-size", 16, 1, 1 << 14);
    int window = s.integer("window", 0, 0, 1 << 24);
    s.check(window == 0 || raw != null, "window", "applies to raw input (input): a prepared dataset's rows are read"
        + " whole");
    int stride = s.integer("stride", 0, 0, 1 << 24);
    s.check(stride == 0 || raw != null, "stride", "applies to raw input (input): a prepared dataset's rows are read"
        + " whole");
    int partitions = s.integer("partitions", 0, 0, 1 << 20);
    Section spark = s.section("spark");
    String master = spark.string("master", "local[*]");
    String appName = spark.string("app-name", defaultAppName);
    return new InferenceSettings(model, data.isEmpty() ? null : data, split, output, overwrite, batch, window,
        stride, partitions, master, appName, raw);
  }
}
