package dev.sparseattn.trainer.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import dev.sparseattn.datasets.tokenize.AmbiguityRule;
import dev.sparseattn.datasets.tokenize.ByteTokenizer;
import dev.sparseattn.datasets.tokenize.NucleotideTokenizer;
import dev.sparseattn.datasets.tokenize.Tokenizer;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.datasets.config.ConfigError;
import dev.sparseattn.trainer.generate.DecodeEngine;
import dev.sparseattn.trainer.generate.GenerationConfig;
import dev.sparseattn.trainer.generate.Generator;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The serve job's HTTP server over a real socket with a real HTTP client, against a tiny seeded model in double
 * precision: generation (plain and streamed) equals the engine's {@link Generator} with the same seed, scores equal
 * {@link TransformerLM#sumNats}, concurrent clients all get their own correct answers, every kind of bad input gets a
 * 4xx JSON error, a client that disconnects mid-stream frees its slot, and closing the server releases its port.
 */
class ServeServerTest {
  private static final int SEQ_LEN = 64;

  @TempDir
  static Path tmp;
  static Path modelDir;
  static Path rotaryDir;
  static ServedModel reference;      // a second copy of the model: the server's network belongs to its decode thread
  static ServeServer server;
  static Http http;

  static ServeConfig config(Path model, String extra) {
    return ServeConfig.parse(ConfigFactory.parseString("serve { model = \"" + model.toUri() + "\", port = 0,"
        + " max-prompt-tokens = 24, max-new-tokens = 32, max-concurrent = 4, queue-length = 16,"
        + " max-body-bytes = 4096, timeout-ms = 60000 }\n" + extra).resolve());
  }

  @BeforeAll
  static void start() throws Exception {
    modelDir = TinyModels.save(tmp.resolve("byte-model"), new ByteTokenizer(), SEQ_LEN, false);
    rotaryDir = TinyModels.save(tmp.resolve("rotary-model"), new ByteTokenizer(), SEQ_LEN, true);
    reference = ServedModel.load(modelDir.toString());
    server = ServeServer.start(config(modelDir, ""), ServedModel.load(modelDir.toString()));
    http = new Http(server.port());
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  /** What the engine's Generator gives directly for the same request (a fresh engine on the reference copy). */
  static Generator.Result direct(String prompt, GenerationConfig g) {
    try (DecodeEngine engine = new DecodeEngine(reference.network(), 1, SEQ_LEN)) {
      return new Generator(engine, reference.tokenizer()).generate(prompt, g, null);
    }
  }

  static Generator.Result direct(String prompt, int maxNew, double temperature, int topK, long seed) {
    return direct(prompt, new GenerationConfig(temperature, topK, 1.0, maxNew, List.of(), true, seed));
  }

  static int[] ints(JsonNode array) {
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).intValue();
    }
    return out;
  }

  static String generateBody(String prompt, int maxNew, double temperature, int topK, long seed, boolean stream) {
    return "{\"prompt\": \"" + prompt + "\", \"max_new_tokens\": " + maxNew + ", \"temperature\": " + temperature
        + ", \"top_k\": " + topK + ", \"seed\": " + seed + ", \"stream\": " + stream + "}";
  }

  @Test
  void generateEqualsTheGeneratorWithTheSameSeed() throws Exception {
    Generator.Result expected = direct("And God said", 20, 0.9, 40, 11);
    Http.Answer a = http.post("/v1/generate", generateBody("And God said", 20, 0.9, 40, 11, false));
    assertEquals(200, a.status(), a.body());
    JsonNode j = a.json();
    assertArrayEquals(expected.tokens(), ints(j.get("tokens")));
    assertEquals(expected.text(), j.get("text").textValue());
    assertEquals(expected.finishReason(), j.get("finish_reason").textValue());
    assertEquals(12, j.get("usage").get("prompt_tokens").intValue());
    assertEquals(expected.tokens().length, j.get("usage").get("completion_tokens").intValue());
    // top-p (nucleus) sampling goes through the same sampler
    GenerationConfig nucleus = new GenerationConfig(1.0, 0, 0.5, 16, List.of(), true, 3);
    Http.Answer b = http.post("/v1/generate", "{\"prompt\": \"Let there be\", \"max_new_tokens\": 16, "
        + "\"temperature\": 1.0, \"top_p\": 0.5, \"seed\": 3}");
    assertEquals(200, b.status(), b.body());
    assertArrayEquals(direct("Let there be", nucleus).tokens(), ints(b.json().get("tokens")));
  }

  @Test
  void overflowStreamDecodesPastSeqLenWithCappedSinks() throws Exception {
    Path sinks = TinyModels.save(tmp.resolve("sinks-model"), new ByteTokenizer(), SEQ_LEN, true,
        dev.sparseattn.trainer.model.attention.AttentionSpec.slidingWindow(8, true).withGlobal(0, 1, 2));
    ServedModel copy = ServedModel.load(sinks.toString());
    GenerationConfig g = new GenerationConfig(1.0, 0, 1.0, 150, List.of(), false, 9);
    Generator.Result expected;
    try (DecodeEngine engine = new DecodeEngine(copy.network(), 1, 1000,
        dev.sparseattn.trainer.generate.SinkPositions.CAPPED)) {
      expected = new Generator(engine, copy.tokenizer()).generate("And God said", g, null);
    }
    ServeConfig c = config(sinks, "serve { overflow = stream, max-new-tokens = 200 }");
    try (ServeServer s = ServeServer.start(c, ServedModel.load(sinks.toString()))) {
      Http.Answer a = new Http(s.port()).post("/v1/generate", "{\"prompt\": \"And God said\", "
          + "\"max_new_tokens\": 150, \"temperature\": 1.0, \"stop_at_eos\": false, \"seed\": 9}");
      assertEquals(200, a.status(), a.body());
      assertEquals(150, expected.tokens().length);
      assertArrayEquals(expected.tokens(), ints(a.json().get("tokens")), "13 + 150 tokens, past seq-len 64");
    }
  }

  @Test
  void streamSendsEveryTokenThenTheEnd() throws Exception {
    Generator.Result expected = direct("In the beginning", 25, 1.0, 0, 5);
    Http.Answer a = http.post("/v1/generate", generateBody("In the beginning", 25, 1.0, 0, 5, true));
    assertEquals(200, a.status(), a.body());
    List<JsonNode> events = a.events();
    JsonNode end = events.get(events.size() - 1);
    List<Integer> ids = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    for (JsonNode e : events.subList(0, events.size() - 1)) {
      if (e.has("token")) {
        ids.add(e.get("token").intValue());
      }
      text.append(e.get("text").textValue());
    }
    assertArrayEquals(expected.tokens(), ids.stream().mapToInt(Integer::intValue).toArray(), a.body());
    assertEquals(expected.text(), text.toString());
    assertArrayEquals(expected.tokens(), ints(end.get("tokens")));
    assertEquals(expected.text(), end.get("text").textValue());
    assertEquals(expected.finishReason(), end.get("finish_reason").textValue());
    assertEquals(expected.tokens().length, end.get("usage").get("completion_tokens").intValue());
  }

  @Test
  void greedyStopsAtAStopString() throws Exception {
    String full = direct("the", 32, 0, 0, 1).text();
    String stop = full.substring(3, 5);                      // two characters produced after the third
    Generator.Result expected = direct("the", new GenerationConfig(0, 0, 1, 32, List.of(stop), true, 1));
    Http.Answer a = http.post("/v1/generate", "{\"prompt\": \"the\", \"temperature\": 0, \"stop\": "
        + Http.JSON.writeValueAsString(List.of(stop)) + "}");
    assertEquals(200, a.status(), a.body());
    assertEquals("stop", a.json().get("finish_reason").textValue(), a.body());
    assertEquals(expected.text(), a.json().get("text").textValue());
    assertEquals(full.substring(0, full.indexOf(stop)), a.json().get("text").textValue());
  }

  @Test
  void scoreEqualsSumNats() throws Exception {
    String text = "In the beginning God";
    Http.Answer a = http.post("/v1/score", "{\"text\": \"" + text + "\"}");
    assertEquals(200, a.status(), a.body());
    JsonNode j = a.json();
    Tokenizer tok = reference.tokenizer();
    int[] p = tok.encode(text);
    int[] row = new int[p.length + 1];
    row[0] = tok.eosId();
    System.arraycopy(p, 0, row, 1, p.length);
    double[] nats = TransformerLM.sumNats(reference.network(),
        TransformerLM.toDataSet(reference.config(), new int[][] {row}, tok.padId(), DataType.DOUBLE));
    assertEquals(p.length, j.get("token_count").intValue());
    assertEquals(nats[1], j.get("tokens").size());
    assertEquals(nats[0], j.get("total_nats").doubleValue(), 1e-9 * nats[0]);
    assertEquals(nats[0] / Math.log(2), j.get("total_bits").doubleValue(), 1e-9 * nats[0]);
    assertEquals(nats[0] / Math.log(2) / text.length(), j.get("bits_per_byte").doubleValue(), 1e-9);
    double sumBits = 0;
    for (JsonNode t : j.get("tokens")) {
      assertEquals(-t.get("logprob").doubleValue() / Math.log(2), t.get("bits").doubleValue(), 1e-12);
      sumBits += t.get("bits").doubleValue();
    }
    assertEquals(j.get("total_bits").doubleValue(), sumBits, 1e-9);
    // the first token's log-probability is the model's next-token distribution after EOS
    assertEquals(TransformerLM.nextTokenLogProbs(reference.network(), new int[] {tok.eosId()})[p[0]],
        j.get("tokens").get(0).get("logprob").doubleValue(), 1e-9);
  }

  @Test
  void eightClientsAtOnceAllGetTheirOwnAnswers() throws Exception {
    JsonNode before = http.get("/health").json();
    int clients = 8;
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      List<Future<Http.Answer>> answers = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        final int k = c;
        answers.add(pool.submit(() -> http.post("/v1/generate",
            generateBody("Verse " + k, 8 + 3 * k, 0.8, 0, 100 + k, k % 2 == 0))));
      }
      for (int c = 0; c < clients; c++) {
        Generator.Result expected = direct("Verse " + c, 8 + 3 * c, 0.8, 0, 100 + c);
        Http.Answer a = answers.get(c).get();
        assertEquals(200, a.status(), a.body());
        JsonNode end = c % 2 == 0 ? a.events().get(a.events().size() - 1) : a.json();
        assertArrayEquals(expected.tokens(), ints(end.get("tokens")), "client " + c);
        assertEquals(expected.text(), end.get("text").textValue(), "client " + c);
      }
    } finally {
      pool.shutdownNow();
    }
    JsonNode health = http.get("/health").json();
    assertEquals(4, health.get("free_slots").intValue(), health.toString());
    // continuous batching: the steps carried several sequences at once
    long steps = health.get("steps").longValue() - before.get("steps").longValue();
    long sequenceSteps = health.get("sequence_steps").longValue() - before.get("sequence_steps").longValue();
    System.out.println("batching: " + sequenceSteps + " sequence steps in " + steps + " steps");
    assertTrue(sequenceSteps > 1.5 * steps, sequenceSteps + " sequence steps in " + steps + " steps");
  }

  private static void assertError(int status, String fragment, Http.Answer a) throws Exception {
    assertEquals(status, a.status(), a.body());
    String error = a.json().get("error").textValue();
    assertTrue(error.contains(fragment), "expected '" + fragment + "' in: " + error);
  }

  @Test
  void badInputGetsAClearError() throws Exception {
    assertError(400, "malformed JSON", http.post("/v1/generate", "{\"prompt\": "));
    assertError(400, "expected a JSON object", http.post("/v1/generate", "[1, 2]"));
    assertError(400, "empty body", http.post("/v1/generate", ""));
    assertError(400, "unknown field temprature", http.post("/v1/generate", "{\"prompt\": \"a\", \"temprature\": 1}"));
    assertError(400, "prompt must be a string", http.post("/v1/generate", "{\"prompt\": 5}"));
    assertError(400, "missing field prompt", http.post("/v1/generate", "{\"seed\": 5}"));
    assertError(400, "max_new_tokens must be an integer",
        http.post("/v1/generate", "{\"prompt\": \"a\", \"max_new_tokens\": \"5\"}"));
    assertError(400, "max_new_tokens must be an integer",
        http.post("/v1/generate", "{\"prompt\": \"a\", \"max_new_tokens\": 2.5}"));
    assertError(400, "stream must be true or false", http.post("/v1/generate", "{\"prompt\": \"a\", \"stream\": 1}"));
    assertError(400, "temperature must be in", http.post("/v1/generate", "{\"prompt\": \"a\", \"temperature\": -1}"));
    assertError(400, "top_p must be in", http.post("/v1/generate", "{\"prompt\": \"a\", \"top_p\": 0}"));
    assertError(400, "stop must not hold an empty string",
        http.post("/v1/generate", "{\"prompt\": \"a\", \"stop\": [\"\"]}"));
    assertError(400, "prompt is empty", http.post("/v1/generate", "{\"prompt\": \"\"}"));
    assertError(400, "prompt has 25 tokens, over the limit of 24 (max-prompt-tokens)",
        http.post("/v1/generate", "{\"prompt\": \"" + "x".repeat(25) + "\"}"));
    assertError(400, "max_new_tokens 33 is over the server's limit of 32",
        http.post("/v1/generate", "{\"prompt\": \"a\", \"max_new_tokens\": 33}"));
    assertError(400, "Duplicate field", http.post("/v1/generate", "{\"prompt\": \"a\", \"prompt\": \"b\"}"));
    assertError(413, "over the limit of 4096", http.post("/v1/generate", "{\"prompt\": \"" + "x".repeat(5000) + "\"}"));
    assertError(400, "text is empty", http.post("/v1/score", "{\"text\": \"\"}"));
    assertError(400, "unknown field prompt", http.post("/v1/score", "{\"prompt\": \"a\"}"));
    assertError(405, "GET is not allowed on /v1/generate; use POST", http.get("/v1/generate"));
    assertError(405, "POST is not allowed on /health", http.post("/health", "{}"));
    assertError(404, "no such endpoint: /v2/generate", http.post("/v2/generate", "{}"));
    // the server still answers
    assertEquals(200, http.get("/health").status());
  }

  @Test
  void textTheTokenizerCannotTakeIsRefused() throws Exception {
    Tokenizer dna = new NucleotideTokenizer(new NucleotideTokenizer.Options(1, false, AmbiguityRule.REJECT, true));
    Path dir = TinyModels.save(tmp.resolve("dna-model"), dna, SEQ_LEN, false);
    try (ServeServer s = ServeServer.start(config(dir, ""), ServedModel.load(dir.toString()))) {
      Http h = new Http(s.port());
      assertError(400, "the nucleotide tokenizer cannot take it: unexpected-letter",
          h.post("/v1/generate", "{\"prompt\": \"ACGTX\"}"));
      assertError(400, "ambiguous-base: 'N' at 2", h.post("/v1/score", "{\"text\": \"ACNT\"}"));
      assertEquals(200, h.post("/v1/score", "{\"text\": \"ACGT\"}").status());
    }
  }

  @Test
  void modelInfoAndHealth() throws Exception {
    JsonNode m = http.get("/v1/model").json();
    assertEquals(SEQ_LEN, m.get("config").get("seqLen").intValue(), m.toString());
    assertEquals("byte", m.get("tokenizer").get("name").textValue());
    assertEquals(24, m.get("limits").get("max_prompt_tokens").intValue());
    assertEquals(SEQ_LEN, m.get("limits").get("slot_tokens").intValue());
    JsonNode h = http.get("/health").json();
    assertEquals("ok", h.get("status").textValue());
    assertEquals(4, h.get("slots").intValue());
  }

  /** Opens a streaming generation on a raw socket and reads until its first event. */
  private static Socket openStream(int port, String body) throws Exception {
    Socket s = new Socket("127.0.0.1", port);
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    OutputStream out = s.getOutputStream();
    out.write(("POST /v1/generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
        + b.length + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    out.write(b);
    out.flush();
    BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
    assertTrue(in.readLine().startsWith("HTTP/1.1 200"));
    String line;
    while ((line = in.readLine()) != null && !line.contains("data: ")) {
      // headers and the chunk size
    }
    assertTrue(line != null && line.contains("\"token\""), String.valueOf(line));
    return s;
  }

  @Test
  void aClientThatDisconnectsFreesItsSlotAndAFullServerSays503() throws Exception {
    // one slot, no queue, long generations (rotary positions: a slot holds the prompt and all its new tokens)
    ServeConfig c = config(rotaryDir, "serve { max-concurrent = 1, queue-length = 0, max-new-tokens = 100000 }");
    try (ServeServer s = ServeServer.start(c, ServedModel.load(rotaryDir.toString()))) {
      Http h = new Http(s.port());
      String longRun = "{\"prompt\": \"a\", \"max_new_tokens\": 100000, \"stop_at_eos\": false, \"stream\": true}";
      Socket client = openStream(s.port(), longRun);
      assertEquals(0, h.get("/health").json().get("free_slots").intValue());
      assertError(503, "server busy", h.post("/v1/generate", "{\"prompt\": \"b\"}"));
      client.close();                                           // mid-stream
      JsonNode health = h.get("/health").json();
      for (int i = 0; i < 200 && health.get("free_slots").intValue() == 0; i++) {
        Thread.sleep(25);
        health = h.get("/health").json();
      }
      assertEquals(1, health.get("free_slots").intValue(), health.toString());
      assertEquals(1, health.get("disconnected").intValue(), health.toString());
      Http.Answer next = h.post("/v1/generate", "{\"prompt\": \"b\", \"max_new_tokens\": 5, \"stop_at_eos\": false}");
      assertEquals(200, next.status(), next.body());
      assertEquals(5, next.json().get("tokens").size());
    }
  }

  @Test
  void aRequestPastItsTimeoutEndsWithTheTokensSoFar() throws Exception {
    ServeConfig c = config(rotaryDir, "serve { timeout-ms = 300, max-new-tokens = 100000 }");
    try (ServeServer s = ServeServer.start(c, ServedModel.load(rotaryDir.toString()))) {
      long t0 = System.nanoTime();
      Http.Answer a = new Http(s.port()).post("/v1/generate",
          "{\"prompt\": \"a\", \"max_new_tokens\": 100000, \"stop_at_eos\": false}");
      double seconds = (System.nanoTime() - t0) / 1e9;
      assertEquals(200, a.status(), a.body());
      assertEquals("timeout", a.json().get("finish_reason").textValue());
      assertTrue(a.json().get("tokens").size() < 100000);
      assertTrue(seconds < 10, "answered after " + seconds + " s");
    }
  }

  @Test
  void aPromptLimitBeyondAbsolutePositionsStopsTheServerBeforeItListens() {
    ConfigError e = assertThrows(ConfigError.class, () -> ServeServer.start(
        config(modelDir, "serve.max-prompt-tokens = 64"), reference));
    assertTrue(e.getMessage().contains("serve.max-prompt-tokens") && e.getMessage().contains("at most 63"),
        e.getMessage());
  }

  @Test
  void closingReleasesThePort() throws Exception {
    ServeServer s = ServeServer.start(config(modelDir, ""), ServedModel.load(modelDir.toString()));
    int port = s.port();
    assertEquals(200, new Http(port).get("/health").status());
    s.close();
    try (ServerSocket again = new ServerSocket(port)) {
      assertEquals(port, again.getLocalPort());
    }
  }
}
