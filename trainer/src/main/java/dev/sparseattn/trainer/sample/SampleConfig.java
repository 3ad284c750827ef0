package dev.sparseattn.trainer.sample;

import com.typesafe.config.Config;
import dev.sparseattn.datasets.config.ResolvedConfig;
import dev.sparseattn.datasets.config.Section;

/**
 * Settings of the {@code sample} job, read from the {@code sample} section.
 *
 * @param model directory written by the train job
 * @param prompt text the model continues
 * @param maxNewTokens tokens to generate
 * @param temperature softmax temperature; 0 means greedy (always the most likely token)
 * @param topK sample among the k most likely tokens only, 0 for all
 * @param seed seeds the sampling
 * @param resolved the configuration as read
 */
public record SampleConfig(String model, String prompt, int maxNewTokens, double temperature,
                           int topK, long seed, ResolvedConfig resolved) {

  public static SampleConfig parse(Config root) {
    Section s = new Section(root, "sample");
    SampleConfig c = new SampleConfig(
        s.string("model"),
        s.string("prompt"),
        s.integer("max-new-tokens", 200, 1, 1_000_000),
        s.number("temperature", 0.8, 0.0, 100.0),
        s.integer("top-k", 0, 0, 1 << 24),
        s.longValue("seed", 7, Long.MIN_VALUE, Long.MAX_VALUE),
        null);
    s.finish();
    return new SampleConfig(c.model, c.prompt, c.maxNewTokens, c.temperature, c.topK, c.seed, s.resolved());
  }
}
