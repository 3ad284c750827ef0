package dev.sparseattn.trainer.serve;

import com.typesafe.config.Config;
import dev.sparseattn.datasets.config.ResolvedConfig;
import dev.sparseattn.datasets.config.Section;

/**
 * Settings of the {@code serve} job, read from the {@code serve} section and validated before the socket opens.
 *
 * @param model directory written by the train job
 * @param host address to bind
 * @param port port to bind; 0 picks a free one (printed at start)
 * @param maxPromptTokens longest prompt (and longest scored text) in tokens; 0 = the model's limit ({@link Limits})
 * @param maxNewTokens largest {@code max_new_tokens} a request may ask for (also its default)
 * @param maxConcurrent requests decoded together in one batch (the engine's slots)
 * @param queueLength requests that may wait for a slot; beyond it the server answers 503
 * @param maxBodyBytes largest request body
 * @param timeoutMs per-request timeout from arrival to the last token, in milliseconds
 * @param overflow past the model's seq-len (rotary models): {@code error} keeps every key at its stream position;
 *                 {@code stream} makes the global tokens attention sinks at capped distances (StreamingLLM)
 * @param resolved the configuration as read
 */
public record ServeConfig(String model, String host, int port, int maxPromptTokens, int maxNewTokens,
                          int maxConcurrent, int queueLength, long maxBodyBytes, long timeoutMs,
                          Overflow overflow, ResolvedConfig resolved) {

  /** What a request does past the model's seq-len. */
  public enum Overflow {
    /**
     * Absolute positions: the generation ends with finish_reason {@code context}; rotary: goes on, every key at its
     * stream position.
     */
    ERROR,
    /**
     * Rotary models only: the global tokens act as attention sinks at the distances the last training position saw
     * ({@link dev.sparseattn.trainer.generate.SinkPositions#CAPPED}).
     */
    STREAM
  }

  public static ServeConfig parse(Config root) {
    Section s = new Section(root, "serve");
    ServeConfig c = new ServeConfig(
        s.string("model"),
        s.string("host", "127.0.0.1"),
        s.integer("port", 8080, 0, 65535),
        s.integer("max-prompt-tokens", 0, 0, 1 << 24),
        s.integer("max-new-tokens", 256, 1, 1 << 24),
        s.integer("max-concurrent", 8, 1, 4096),
        s.integer("queue-length", 64, 0, 1 << 20),
        s.bytes("max-body-bytes", 1 << 20, 64, 1L << 30),
        s.longValue("timeout-ms", 60_000, 1, 24L * 3600 * 1000),
        s.choice("overflow", Overflow.class, Overflow.ERROR),
        null);
    s.check(!c.host.isBlank(), "host", "must not be blank");
    s.finish();
    return new ServeConfig(c.model, c.host, c.port, c.maxPromptTokens, c.maxNewTokens, c.maxConcurrent,
        c.queueLength, c.maxBodyBytes, c.timeoutMs, c.overflow, s.resolved());
  }
}
