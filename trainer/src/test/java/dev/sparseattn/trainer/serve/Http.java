package dev.sparseattn.trainer.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A real HTTP client (java.net.http) against a server on this machine. */
final class Http {
  static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();
  private final int port;

  Http(int port) {
    this.port = port;
  }

  record Answer(int status, String body) {
    JsonNode json() throws IOException {
      return JSON.readTree(body);
    }

    /** The JSON objects of a server-sent event stream, in order. */
    List<JsonNode> events() throws IOException {
      List<JsonNode> out = new ArrayList<>();
      for (String block : body.split("\n\n")) {
        if (!block.isBlank()) {
          if (!block.startsWith("data: ")) {
            throw new IOException("not an event: " + block);
          }
          out.add(JSON.readTree(block.substring(6)));
        }
      }
      return out;
    }
  }

  Answer send(String method, String path, String body) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(60));
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), r.body());
  }

  Answer post(String path, String body) throws IOException, InterruptedException {
    return send("POST", path, body);
  }

  Answer get(String path) throws IOException, InterruptedException {
    return send("GET", path, null);
  }
}
