package dev.sparseattn.trainer.serve;

import dev.sparseattn.datasets.config.ConfigError;
import dev.sparseattn.trainer.model.network.TransformerConfig;

/**
 * The serve section's limits resolved against the model, checked before the socket opens.
 *
 * @param promptTokens longest prompt in tokens (the end-of-document token before it not counted)
 * @param scoreTokens longest text to score: one forward pass holds at most {@code seqLen} tokens
 * @param slotLength tokens a decoding slot holds: {@code seqLen} for absolute positions (a generation that fills it
 *                   ends with finish_reason {@code context}); for rotary ones the longest prompt and its new tokens
 */
record Limits(int promptTokens, int scoreTokens, int slotLength) {

  static Limits of(ServeConfig config, TransformerConfig model) {
    boolean rotary = model.positions() == TransformerConfig.Positions.ROTARY;
    if (!rotary && config.overflow() == ServeConfig.Overflow.STREAM) {
      throw new ConfigError("serve.overflow", "stream needs a model with rotary positions (train.model.positions = "
          + "rotary); this model's are " + model.positions().name().toLowerCase(java.util.Locale.ROOT)
          + " and end at its seq-len " + model.seqLen());
    }
    int modelLimit = model.seqLen() - 1;                  // EOS takes one position
    int prompt = config.maxPromptTokens() == 0 ? modelLimit : config.maxPromptTokens();
    if (!rotary && prompt > modelLimit) {
      throw new ConfigError("serve.max-prompt-tokens", "must be at most " + modelLimit + " (0 = that): the model's "
          + model.positions().name().toLowerCase(java.util.Locale.ROOT) + " positions end at its seq-len "
          + model.seqLen() + " and a prompt follows the end-of-document token, got " + prompt);
    }
    long slot = rotary ? 1L + prompt + config.maxNewTokens() : model.seqLen();
    if (slot > Integer.MAX_VALUE / 2) {
      throw new ConfigError("serve.max-new-tokens", "max-prompt-tokens + max-new-tokens is too large: " + slot);
    }
    return new Limits(prompt, Math.min(prompt, model.seqLen()), (int) slot);
  }
}
