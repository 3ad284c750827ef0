package dev.sparseattn.trainer.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import dev.sparseattn.datasets.tokenize.AmbiguityRule;
import dev.sparseattn.datasets.tokenize.ByteTokenizer;
import dev.sparseattn.datasets.tokenize.NucleotideTokenizer;
import dev.sparseattn.datasets.tokenize.Tokenizer;
import dev.sparseattn.trainer.bench.GenomicsLongContext;
import dev.sparseattn.trainer.io.ModelArchive;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import dev.sparseattn.trainer.train.TrainConfig;
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
 * The server under load, over real sockets, float32, random weights (which do not change the time), for two models:
 * the quickstart model's shape (2 layers, d 128, 4 heads, ffn 512, byte vocabulary, learned positions, but seq-len
 * 1024 so that a 512-token prompt fits) and the long-context genomics model ({@link GenomicsLongContext}, the former {@code conf/genomics-ecoli.conf}: 6 layers,
 * d 128, sliding window 128 + LSH, reversible, axial positions, seq-len 4096, single bases): time to first token of a streamed request with a 512-token prompt (median and p99 over
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
  void quickstartShape() throws Exception {
    TransformerConfig config = new TransformerConfig(ByteTokenizer.VOCAB_SIZE, 1024, 128, 4, 2, 512, 42);
    run("quickstart shape, seq-len 1024", config, new ByteTokenizer(), "abcdefghijklmnopqrstuvwxyz", TTFT_REQUESTS);
  }

  /**
   * The long-context genomics model ({@link GenomicsLongContext}: 6 layers, sliding window 128 + LSH, reversible, axial
   * positions), the shape {@code conf/genomics-ecoli.conf} had when these figures were first taken.
   */
  @Test
  void genomicsRecipe() throws Exception {
    TrainConfig train = GenomicsLongContext.train();
    Tokenizer dna = new NucleotideTokenizer(new NucleotideTokenizer.Options(1, false, AmbiguityRule.TOKEN, true));
    TransformerConfig config = train.model().architecture(dna.vocabSize(), 4096, 42);
    run("genomics recipe", config, dna, "ACGT", Math.max(5, TTFT_REQUESTS / 5));
  }

  private void run(String name, TransformerConfig config, Tokenizer tokenizer, String alphabet, int ttftRequests)
      throws Exception {
    Path dir = tmp.resolve(name.replace(' ', '-').replace(',', '-'));
    Files.createDirectories(dir);
    File zip = dir.resolve("model.zip").toFile();
    TransformerLM.save(TransformerLM.build(config, new Adam(1e-3)), config, zip, false);
    ModelArchive.writeTokenizer(zip, tokenizer.describe());
    ServeConfig serve = ServeConfig.parse(ConfigFactory.parseString("serve { model = \"" + dir.toUri()
        + "\", port = 0, max-concurrent = 32, queue-length = 64, max-new-tokens = " + NEW_TOKENS + " }"));
    try (ServeServer server = ServeServer.start(serve, ServedModel.load(serve.model()))) {
      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      URI generate = URI.create("http://127.0.0.1:" + server.port() + "/v1/generate");
      Random random = new Random(1);
      for (int i = 0; i < 3; i++) {
        firstTokenMillis(client, generate, prompt(random, alphabet, 512));           // warm-up (JIT)
      }
      double[] ttft = new double[ttftRequests];
      for (int i = 0; i < ttft.length; i++) {
        ttft[i] = firstTokenMillis(client, generate, prompt(random, alphabet, 512));
      }
      Arrays.sort(ttft);
      System.out.printf("%s: time to first token, 512-token prompt, %d requests one at a time: median %.1f ms, "
          + "p99 %.1f ms%n", name, ttft.length, ttft[ttft.length / 2], ttft[(int) Math.ceil(0.99 * ttft.length) - 1]);
      System.out.println("| clients | requests | new tokens | seconds | tokens/s |");
      System.out.println("| --- | --- | --- | --- | --- |");
      throughput(client, generate, 1, random, alphabet);                     // warm-up, not printed
      for (int clients : new int[] {1, 8, 32}) {
        double[] r = throughput(client, generate, clients, random, alphabet);
        System.out.printf("| %d | %d | %d | %.2f | %.0f |%n", clients, clients * ROUNDS, (long) r[0], r[1],
            r[0] / r[1]);
      }
    }
  }

  private static String prompt(Random random, String alphabet, int bytes) {
    char[] c = new char[bytes];
    for (int i = 0; i < bytes; i++) {
      c[i] = alphabet.charAt(random.nextInt(alphabet.length()));
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
  private static double[] throughput(HttpClient client, URI uri, int clients, Random random, String alphabet)
      throws Exception {
    List<String> prompts = new ArrayList<>();
    for (int i = 0; i < clients * ROUNDS; i++) {
      prompts.add(prompt(random, alphabet, 32));
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
