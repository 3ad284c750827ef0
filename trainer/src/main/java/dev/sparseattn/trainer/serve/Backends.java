package dev.sparseattn.trainer.serve;

/** The decoding backend a server uses by default. */
final class Backends {
  private Backends() {}

  /** A backend with {@code max-concurrent} slots, each long enough for EOS, the longest prompt and its tokens. */
  static DecodeBackend open(ServedModel model, ServeConfig config) {
    int maxLength = 1 + config.maxPromptTokens() + config.maxNewTokens();
    return new RecomputeBackend(model.network(), config.maxConcurrent(), maxLength);
  }
}
