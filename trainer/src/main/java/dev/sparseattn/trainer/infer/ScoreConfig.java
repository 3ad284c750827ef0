package dev.sparseattn.trainer.infer;

import com.typesafe.config.Config;
import dev.sparseattn.datasets.config.ResolvedConfig;
import dev.sparseattn.datasets.config.Section;

/**
 * Everything the {@code score} job needs, read from the {@code score} section.
 *
 * @param settings the keys shared with {@code embed}
 * @param tokenScores whether to write each sequence's per-token surprisal track ({@code token_bits})
 * @param resolved the configuration as read, defaults included
 */
public record ScoreConfig(InferenceSettings settings, boolean tokenScores, ResolvedConfig resolved) {

  /** Reads and validates the {@code score} section; fails with a message naming the key. */
  public static ScoreConfig parse(Config root) {
    Section s = new Section(root, "score");
    InferenceSettings settings = InferenceSettings.parse(s, "sparseattn-score");
    boolean tokenScores = s.bool("token-scores", false);
    s.check(!(tokenScores && settings.raw() != null), "token-scores",
        "per-token scores are written for prepared datasets only (data), not for raw input files (input)");
    s.finish();
    return new ScoreConfig(settings, tokenScores, s.resolved());
  }
}
