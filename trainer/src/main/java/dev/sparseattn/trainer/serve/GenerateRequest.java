package dev.sparseattn.trainer.serve;

import java.util.List;

/**
 * A validated {@code /v1/generate} request.
 *
 * @param temperature softmax temperature; 0 is greedy
 * @param topK sample among the k most likely tokens only, 0 for all
 * @param topP nucleus sampling (Holtzman et al. 2020): the smallest set of tokens holding this much probability
 * @param stop strings that end the generation (not included in the text)
 * @param stopAtEos end at the end-of-document token (else it is generated like any other)
 */
record GenerateRequest(String prompt, int maxNewTokens, double temperature, int topK, double topP,
                       List<String> stop, boolean stopAtEos, long seed, boolean stream) {
  static final double DEFAULT_TEMPERATURE = 0.8;
  static final long DEFAULT_SEED = 7;

  GenerateRequest {
    stop = List.copyOf(stop);
  }
}
