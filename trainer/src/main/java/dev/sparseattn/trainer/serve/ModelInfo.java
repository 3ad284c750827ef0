package dev.sparseattn.trainer.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The answer of {@code GET /v1/model}: architecture, tokenizer, provenance, the server's limits and backend. */
final class ModelInfo {
  private ModelInfo() {}

  static ObjectNode describe(ServedModel model, ServeConfig config, String backend) {
    ObjectNode o = Requests.JSON.createObjectNode();
    try {
      o.set("config", Requests.JSON.readTree(model.config().toJson()));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("the model configuration does not serialise: " + e.getMessage(), e);
    }
    o.set("tokenizer", Requests.JSON.valueToTree(model.tokenizer().describe()));
    o.set("provenance", model.provenance() == null ? null : Requests.JSON.valueToTree(model.provenance()));
    o.put("backend", backend);
    ObjectNode limits = o.putObject("limits");
    limits.put("max_prompt_tokens", config.maxPromptTokens());
    limits.put("max_score_tokens", Math.min(config.maxPromptTokens(), model.config().seqLen()));
    limits.put("max_new_tokens", config.maxNewTokens());
    limits.put("max_concurrent", config.maxConcurrent());
    limits.put("queue_length", config.queueLength());
    limits.put("max_body_bytes", config.maxBodyBytes());
    limits.put("timeout_ms", config.timeoutMs());
    return o;
  }
}
