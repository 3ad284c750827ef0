package dev.sparseattn.trainer.sample;

import com.typesafe.config.Config;
import dev.sparseattn.datasets.config.ResolvedConfig;
import dev.sparseattn.datasets.config.Section;
import dev.sparseattn.trainer.generate.GenerationConfig;
import java.util.List;

/**
 * Settings of the {@code sample} job, read from the {@code sample} section.
 *
 * @param model directory written by the train job
 * @param prompt text the model continues, or null when read from {@code promptFile}
 * @param promptFile file (any Hadoop file system) holding the prompt, {@code -} for standard input; null if unused
 * @param maxNewTokens tokens to generate
 * @param temperature softmax temperature; 0 means greedy (always the most likely token)
 * @param topK sample among the k most likely tokens only, 0 for all
 * @param topP nucleus sampling (Holtzman et al. 2020): among the most likely tokens reaching probability p; 1 = all
 * @param seed seeds the sampling
 * @param stop strings that end the text (it ends before them)
 * @param stopAtEos end at the model's end-of-document token
 * @param overflow what happens when prompt and new tokens exceed the model's seq-len
 * @param resolved the configuration as read
 */
public record SampleConfig(String model, String prompt, String promptFile, int maxNewTokens, double temperature,
                           int topK, double topP, long seed, List<String> stop, boolean stopAtEos, Overflow overflow,
                           ResolvedConfig resolved) {

  /** What happens when prompt and new tokens exceed the model's seq-len. */
  public enum Overflow {
    /** Stop before generating, naming the limit. */
    ERROR,
    /** Keep the last half of the context and prefill it again whenever the context is full (said on stderr). */
    SLIDE,
    /**
     * Rotary models only: generate past seq-len with the model's global tokens as attention sinks at capped distances
     * ({@link dev.sparseattn.trainer.generate.SinkPositions#CAPPED}, StreamingLLM); a sliding-window model then
     * streams in constant memory.
     */
    STREAM
  }

  public static SampleConfig parse(Config root) {
    Section s = new Section(root, "sample");
    String model = s.string("model");
    String prompt = s.string("prompt", null);
    String promptFile = s.string("prompt-file", null);
    s.check(prompt != null || promptFile != null, "prompt", "is required (or sample.prompt-file)");
    s.check(prompt == null || promptFile == null, "prompt-file", "cannot be set together with sample.prompt");
    int maxNew = s.integer("max-new-tokens", 200, 1, 1_000_000);
    double temperature = s.number("temperature", 0.8, 0.0, 100.0);
    int topK = s.integer("top-k", 0, 0, 1 << 24);
    double topP = s.number("top-p", 1.0, 1e-9, 1.0);
    long seed = s.longValue("seed", 7, Long.MIN_VALUE, Long.MAX_VALUE);
    List<String> stop = s.strings("stop", List.of());
    s.check(stop.stream().noneMatch(String::isEmpty), "stop", "must not hold an empty string");
    boolean eos = s.bool("stop-at-eos", true);
    Overflow overflow = s.choice("overflow", Overflow.class, Overflow.ERROR);
    s.finish();
    return new SampleConfig(model, prompt, promptFile, maxNew, temperature, topK, topP, seed, stop, eos, overflow,
        s.resolved());
  }

  /** The generation settings of one request. */
  public GenerationConfig generation() {
    return new GenerationConfig(temperature, topK, topP, maxNewTokens, stop, stopAtEos, seed);
  }
}
