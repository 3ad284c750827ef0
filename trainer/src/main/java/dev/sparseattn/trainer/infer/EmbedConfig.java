package dev.sparseattn.trainer.infer;

import com.typesafe.config.Config;
import dev.sparseattn.datasets.config.ResolvedConfig;
import dev.sparseattn.datasets.config.Section;

/**
 * Everything the {@code embed} job needs, read from the {@code embed} section.
 *
 * @param settings the keys shared with {@code score}
 * @param resolved the configuration as read, defaults included
 */
public record EmbedConfig(InferenceSettings settings, ResolvedConfig resolved) {

  /** Reads and validates the {@code embed} section; fails with a message naming the key. */
  public static EmbedConfig parse(Config root) {
    Section s = new Section(root, "embed");
    InferenceSettings settings = InferenceSettings.parse(s, "sparseattn-embed");
    s.check(settings.stride() == 0, "stride", "is for the score job: an embedding averages disjoint windows");
    s.finish();
    return new EmbedConfig(settings, s.resolved());
  }
}
