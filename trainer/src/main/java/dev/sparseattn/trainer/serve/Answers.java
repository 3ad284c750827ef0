package dev.sparseattn.trainer.serve;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;

/** The JSON the server writes: a streamed token, the end of a generation, an error; and how a JSON answer is sent. */
final class Answers {
  private Answers() {}

  /** {@code {"token": id, "text": ...}}; no {@code token} for the last held-back text alone. */
  static ObjectNode token(Event.Token t) {
    ObjectNode o = Requests.JSON.createObjectNode();
    if (t.id() >= 0) {
      o.put("token", t.id());
    }
    o.put("text", t.text());
    return o;
  }

  /** {@code {"text", "finish_reason", "tokens", "usage": {"prompt_tokens", "completion_tokens"}}}. */
  static ObjectNode done(Event.Done d) {
    ObjectNode o = Requests.JSON.createObjectNode();
    o.put("text", d.text());
    o.put("finish_reason", d.finishReason());
    ArrayNode ids = o.putArray("tokens");
    for (int id : d.ids()) {
      ids.add(id);
    }
    ObjectNode usage = o.putObject("usage");
    usage.put("prompt_tokens", d.promptTokens());
    usage.put("completion_tokens", d.ids().length);
    return o;
  }

  static ObjectNode error(String message) {
    ObjectNode o = Requests.JSON.createObjectNode();
    o.put("error", message);
    return o;
  }

  /** Sends {@code body} with {@code status} and closes the answer. */
  static void send(HttpExchange ex, int status, ObjectNode body) throws IOException {
    byte[] b = Requests.JSON.writeValueAsBytes(body);
    ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    ex.sendResponseHeaders(status, b.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(b);
    }
  }
}
