package dev.sparseattn.trainer.serve;

import dev.sparseattn.trainer.generate.GenerationConfig;

/**
 * A validated {@code /v1/generate} request.
 *
 * @param prompt the text to continue (a new document: it follows the end-of-document id)
 * @param generation sampling and stopping: temperature, top_k, top_p (Holtzman et al. 2020), max_new_tokens, stop,
 *                   stop_at_eos, seed
 * @param stream send tokens as server-sent events as they come
 */
record GenerateRequest(String prompt, GenerationConfig generation, boolean stream) {
  static final double DEFAULT_TEMPERATURE = 0.8;
  static final long DEFAULT_SEED = 7;
}
