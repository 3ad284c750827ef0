package dev.sparseattn.trainer.generate;

import java.util.List;

/**
 * How one request generates.
 *
 * @param temperature   softmax temperature, >= 0; 0 = greedy (the most likely token every time)
 * @param topK          sample among the k most likely tokens, 0 = all
 * @param topP          nucleus sampling (Holtzman et al. 2020): among the most likely tokens whose probability
 *                      reaches p, in (0, 1]; 1 = all
 * @param maxNewTokens  tokens to generate at most, >= 1
 * @param stop          strings that end the generation; the text stops before the first one (not emitted)
 * @param stopAtEos     stop when the model produces its end-of-document token (not emitted)
 * @param seed          seed of this request's sampler: the same seed gives the same text
 */
public record GenerationConfig(double temperature, int topK, double topP, int maxNewTokens, List<String> stop,
                               boolean stopAtEos, long seed) {

    public GenerationConfig {
        stop = stop == null ? List.of() : List.copyOf(stop);
        validate(temperature, topK, topP, maxNewTokens, stop);
    }

    /** Greedy decoding of {@code maxNewTokens} tokens, stopping at EOS. */
    public static GenerationConfig greedy(int maxNewTokens) {
        return new GenerationConfig(0, 0, 1, maxNewTokens, List.of(), true, 0);
    }

    private static void validate(double temperature, int topK, double topP, int maxNewTokens, List<String> stop) {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("topK must be >= 0 (0 = all tokens), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        }
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("maxNewTokens must be >= 1, got " + maxNewTokens);
        }
        for (String s : stop) {
            if (s == null || s.isEmpty()) {
                throw new IllegalArgumentException("stop strings must not be empty, got " + stop);
            }
        }
    }
}
