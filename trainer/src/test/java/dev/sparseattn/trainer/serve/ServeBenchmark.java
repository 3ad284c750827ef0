package dev.sparseattn.trainer.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import dev.sparseattn.datasets.tokenize.ByteTokenizer;
import dev.sparseattn.trainer.io.ModelArchive;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.learning.config.Adam;

/**
 * The server under load, over real sockets (float32, the quickstart model's shape: 2 layers, d 128, 4 heads, ffn 512,
 * byte vocabulary, learned positions, but seq-len 1024 so that a 512-token prompt fits; random weights, which do not
 * change the time): time to first token of a streamed request with a 512-token prompt (median and p99 over
 * {@code bench.ttft} requests, one at a time), and total generated tokens per second with 1, 8 and 32 concurrent
 * clients, each sending {@code bench.rounds} requests of 64 new tokens after a 32-token prompt. Prints a table;
 * asserts only that every answer is complete (the machine is shared).
 * {@code mvn -pl trainer -am test -Pslow -Dtest=ServeBenchmark -Dsurefire.failIfNoSpecifiedTests=false}
 * (output in {@code trainer/target/surefire-reports/dev.sparseattn.trainer.serve.ServeBenchmark-output.txt}).
 */
@Tag("slow")
class ServeBenchmark {
  private static final int TTFT_REQUESTS = Integer.getInteger("bench.ttft", 50);
  private static final int ROUNDS = Integer.getInteger("bench.rounds", 3);
  private static final int NEW_TOKENS = 64;

  @TempDir
  Path tmp;

  @Test
  void timeToFirstTokenAndThroughput() throws Exception {
    TransformerConfig config = new TransformerConfig(ByteTokenizer.VOCAB_SIZE, 1024, 128, 4, 2, 512, 42);
    Files.createDirectories(tmp.resolve("model"));
    File zip = tmp.resolve("model").resolve("model.zip").toFile();
    TransformerLM.save(TransformerLM.build(config, new Adam(1e-3)), config, zip, false);
    ModelArchive.writeTokenizer(zip, new ByteTokenizer().describe());
    ServeConfig serve = ServeConfig.parse(ConfigFactory.parseString("serve { model = \"" + tmp.resolve("model").toUri()
        + "\", port = 0, max-concurrent = 32, queue-length = 64, max-new-tokens = " + NEW_TOKENS + " }"));
    try (ServeServer server = ServeServer.start(serve, ServedModel.load(serve.model()))) {
      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      URI generate = URI.create("http://127.0.0.1:" + server.port() + "/v1/generate");
      Random random = new Random(1);
      for (int i = 0; i < 5; i++) {
        firstTokenMillis(client, generate, prompt(random, 512));           // warm-up (JIT)
      }
      double[] ttft = new double[TTFT_REQUESTS];
      for (int i = 0; i < ttft.length; i++) {
        ttft[i] = firstTokenMillis(client, generate, prompt(random, 512));
      }
      Arrays.sort(ttft);
      System.out.printf("time to first token, 512-token prompt, %d requests one at a time: median %.1f ms, "
          + "p99 %.1f ms%n", ttft.length, ttft[ttft.length / 2], ttft[(int) Math.ceil(0.99 * ttft.length) - 1]);
      System.out.println("| clients | requests | new tokens | seconds | tokens/s |");
      System.out.println("| --- | --- | --- | --- | --- |");
      throughput(client, generate, 1, random);                               // warm-up, not printed
      for (int clients : new int[] {1, 8, 32}) {
        double[] r = throughput(client, generate, clients, random);
        System.out.printf("| %d | %d | %d | %.2f | %.0f |%n", clients, clients * ROUNDS, (long) r[0], r[1],
            r[0] / r[1]);
      }
    }
  }

  private static String prompt(Random random, int bytes) {
    char[] c = new char[bytes];
    for (int i = 0; i < bytes; i++) {
      c[i] = (char) ('a' + random.nextInt(26));
    }
    return new String(c);
  }

  /** Sends a streamed request and returns the milliseconds until its first event; reads the stream to its end. */
  private static double firstTokenMillis(HttpClient client, URI uri, String prompt) throws Exception {
    String body = "{\"prompt\": \"" + prompt + "\", \"max_new_tokens\": 4, \"stream\": true, \"stop_at_eos\": false}";
    long t0 = System.nanoTime();
    HttpResponse<InputStream> r = client.send(HttpRequest.newBuilder(uri)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, r.statusCode());
    double ms = -1;
    try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        if (ms < 0 && line.startsWith("data: ")) {
          ms = (System.nanoTime() - t0) / 1e6;
        }
      }
    }
    assertTrue(ms >= 0);
    return ms;
  }

  /** {tokens generated, seconds} for {@code clients} concurrent clients sending ROUNDS requests each. */
  private static double[] throughput(HttpClient client, URI uri, int clients, Random random) throws Exception {
    List<String> prompts = new ArrayList<>();
    for (int i = 0; i < clients * ROUNDS; i++) {
      prompts.add(prompt(random, 32));
    }
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      long t0 = System.nanoTime();
      List<Future<Integer>> done = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        final int k = c;
        done.add(pool.submit(() -> {
          int tokens = 0;
          for (int i = 0; i < ROUNDS; i++) {
            String body = "{\"prompt\": \"" + prompts.get(k * ROUNDS + i) + "\", \"max_new_tokens\": " + NEW_TOKENS
                + ", \"stop_at_eos\": false, \"seed\": " + (k * ROUNDS + i) + "}";
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            JsonNode j = Http.JSON.readTree(r.body());
            assertEquals(NEW_TOKENS, j.get("tokens").size(), r.body());
            tokens += j.get("tokens").size();
          }
          return tokens;
        }));
      }
      long tokens = 0;
      for (Future<Integer> f : done) {
        tokens += f.get();
      }
      return new double[] {tokens, (System.nanoTime() - t0) / 1e9};
    } finally {
      pool.shutdownNow();
    }
  }
}
