package dev.sparseattn.trainer.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The answer of {@code GET /v1/model}: architecture, tokenizer, provenance and the server's limits. */
final class ModelInfo {
  private ModelInfo() {}

  static ObjectNode describe(ServedModel model, ServeConfig config, Limits resolved) {
    ObjectNode o = Requests.JSON.createObjectNode();
    try {
      o.set("config", Requests.JSON.readTree(model.config().toJson()));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("the model configuration does not serialise: " + e.getMessage(), e);
    }
    o.set("tokenizer", Requests.JSON.valueToTree(model.tokenizer().describe()));
    o.set("provenance", model.provenance() == null ? null : Requests.JSON.valueToTree(model.provenance()));
    ObjectNode limits = o.putObject("limits");
    limits.put("max_prompt_tokens", resolved.promptTokens());
    limits.put("max_score_tokens", resolved.scoreTokens());
    limits.put("slot_tokens", resolved.slotLength());
    limits.put("max_new_tokens", config.maxNewTokens());
    limits.put("max_concurrent", config.maxConcurrent());
    limits.put("queue_length", config.queueLength());
    limits.put("max_body_bytes", config.maxBodyBytes());
    limits.put("timeout_ms", config.timeoutMs());
    return o;
  }
}
