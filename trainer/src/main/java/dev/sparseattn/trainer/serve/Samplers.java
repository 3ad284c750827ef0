package dev.sparseattn.trainer.serve;

import dev.sparseattn.datasets.tokenize.Tokenizer;
import dev.sparseattn.trainer.sample.TokenSampler;

/** The seeded sampler of a request. Padding is never generated. */
final class Samplers {
  private Samplers() {}

  static TokenPicker picker(GenerateRequest r, Tokenizer tokenizer) {
    if (r.topP() < 1.0) {
      throw new HttpError(400, "top_p below 1 is not supported by this server's sampler yet");
    }
    TokenSampler sampler = new TokenSampler(r.temperature(), r.topK(), r.seed());
    int pad = tokenizer.padId();
    return logProbs -> sampler.next(logProbs, pad);
  }
}
