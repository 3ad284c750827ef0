package dev.sparseattn.trainer.serve;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.sparseattn.datasets.tokenize.Tokenizer;
import dev.sparseattn.trainer.generate.DecodeEngine;
import dev.sparseattn.trainer.generate.SinkPositions;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The HTTP side of the {@code serve} job (the JDK's {@link HttpServer}): parses and validates requests on its
 * threads, hands them to the {@link Scheduler}'s decode thread, and writes answers back, streaming tokens as
 * server-sent events when asked. Every failure is a JSON {@code {"error": ...}} with a 4xx/5xx status.
 */
public final class ServeServer implements AutoCloseable {
  /** How long past a request's own timeout the HTTP thread waits for the decode thread before giving up. */
  private static final long GRACE_NANOS = TimeUnit.SECONDS.toNanos(10);
  /** The JDK server's switch for TCP_NODELAY on accepted connections (read once, when its first server starts). */
  static final String NODELAY = "sun.net.httpserver.nodelay";

  static {
    // Without TCP_NODELAY, Nagle's algorithm holds a small write (a token's event, an answer's body after its
    // headers) until the client acknowledges the previous one, and the client delays that acknowledgement (40 ms on
    // Linux): a fixed delay on every first token and every answer. Set unless the launcher chose otherwise.
    if (System.getProperty(NODELAY) == null) {
      System.setProperty(NODELAY, "true");
    }
  }

  private final ServeConfig config;
  private final ServedModel model;
  private final Tokenizer tokenizer;
  private final Scheduler scheduler;
  private final Scorer scorer;
  private final Limits limits;
  private final HttpServer server;
  private final ExecutorService threads;

  private ServeServer(ServeConfig config, ServedModel model) throws IOException {
    this.config = config;
    this.model = model;
    this.tokenizer = model.tokenizer();
    this.limits = Limits.of(config, model.config());
    this.scorer = new Scorer(model.network(), tokenizer.padId());
    this.scheduler = new Scheduler(new DecodeEngine(model.network(), config.maxConcurrent(), limits.slotLength(),
        config.overflow() == ServeConfig.Overflow.STREAM ? SinkPositions.CAPPED : SinkPositions.STREAM),
        tokenizer, config.queueLength());
    this.threads = Executors.newFixedThreadPool(config.maxConcurrent() + config.queueLength() + 8, r -> {
      Thread t = new Thread(r, "serve-http");
      t.setDaemon(true);
      return t;
    });
    try {
      this.server = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 256);
    } catch (IOException e) {
      scheduler.close();
      threads.shutdownNow();
      throw new IOException("cannot listen on " + config.host() + ":" + config.port() + ": " + e.getMessage(), e);
    }
    server.createContext("/", this::handle);
    server.setExecutor(threads);
    server.start();
  }

  /**
   * Starts serving {@code model} (the server's decode thread owns its network from now on).
   *
   * @throws dev.sparseattn.datasets.config.ConfigError naming the key when a limit does not fit the model
   */
  public static ServeServer start(ServeConfig config, ServedModel model) throws IOException {
    return new ServeServer(config, model);
  }

  /** The port bound (the one chosen when the configuration asked for 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  /** Stops accepting connections, ends running requests with 503 and releases the port. */
  @Override
  public void close() {
    server.stop(0);
    scheduler.close();
    threads.shutdownNow();
  }

  private void handle(HttpExchange ex) {
    try (ex) {
      try {
        route(ex);
      } catch (HttpError e) {
        Answers.send(ex, e.status(), Answers.error(e.getMessage()));
      } catch (RuntimeException e) {
        Answers.send(ex, 500, Answers.error("internal error: " + e));
      }
    } catch (IOException e) {
      // the client went away while we answered: nothing left to tell it
    }
  }

  private void route(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath();
    String method = ex.getRequestMethod();
    String allowed = switch (path) {
      case "/health", "/v1/model" -> "GET";
      case "/v1/generate", "/v1/score" -> "POST";
      default -> throw new HttpError(404, "no such endpoint: " + path
          + " (GET /health, GET /v1/model, POST /v1/generate, POST /v1/score)");
    };
    if (!allowed.equals(method)) {
      ex.getResponseHeaders().set("Allow", allowed);
      throw new HttpError(405, method + " is not allowed on " + path + "; use " + allowed);
    }
    switch (path) {
      case "/health" -> Answers.send(ex, 200, health());
      case "/v1/model" -> Answers.send(ex, 200, ModelInfo.describe(model, config, limits));
      case "/v1/generate" -> generate(ex, Requests.generate(body(ex), config.maxNewTokens()));
      default -> score(ex, Requests.score(body(ex)));
    }
  }

  private ObjectNode health() {
    ObjectNode o = Requests.JSON.createObjectNode();
    o.put("status", "ok");
    o.put("engine", "incremental");
    o.put("slots", config.maxConcurrent());
    o.put("free_slots", scheduler.freeSlots());
    o.put("active", scheduler.active());
    o.put("queued", scheduler.queued());
    o.put("disconnected", scheduler.disconnected());
    o.put("steps", scheduler.steps());
    o.put("sequence_steps", scheduler.sequenceSteps());
    return o;
  }

  /** The request body, refused with 413 beyond max-body-bytes (by its Content-Length or as it is read). */
  private byte[] body(HttpExchange ex) throws IOException {
    long limit = config.maxBodyBytes();
    String declared = ex.getRequestHeaders().getFirst("Content-Length");
    if (declared != null) {
      try {
        if (Long.parseLong(declared.trim()) > limit) {
          throw new HttpError(413, "request body of " + declared.trim() + " bytes is over the limit of " + limit
              + " (max-body-bytes)");
        }
      } catch (NumberFormatException e) {
        throw new HttpError(400, "bad Content-Length: " + declared);
      }
    }
    try (InputStream in = ex.getRequestBody()) {
      byte[] b = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
      if (b.length > limit) {
        throw new HttpError(413, "request body is over the limit of " + limit + " bytes (max-body-bytes)");
      }
      return b;
    }
  }

  /** The ids of a text, refused with 400 when the tokenizer cannot take it or it encodes to nothing. */
  private int[] encode(String field, String text, int limit, String limitKey) {
    byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
    String refused = tokenizer.reject(utf8, 0, utf8.length);
    if (refused != null) {
      throw new HttpError(400, field + ": the " + tokenizer.name() + " tokenizer cannot take it: " + refused);
    }
    int[] ids = tokenizer.encodeUtf8(utf8);
    if (ids.length == 0) {
      throw new HttpError(400, field + " encodes to no tokens");
    }
    if (ids.length > limit) {
      throw new HttpError(400, field + " has " + ids.length + " tokens, over the limit of " + limit + " (" + limitKey
          + ")");
    }
    int[] withEos = new int[ids.length + 1];                 // a new document starts after EOS, as in training
    withEos[0] = tokenizer.eosId();
    System.arraycopy(ids, 0, withEos, 1, ids.length);
    return withEos;
  }

  private void generate(HttpExchange ex, GenerateRequest r) throws IOException {
    int[] prompt = encode("prompt", r.prompt(), limits.promptTokens(), "max-prompt-tokens");
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.timeoutMs());
    Generation g = new Generation(prompt, r, deadline);
    scheduler.submit(g);
    Event first = next(g);
    if (first instanceof Event.Failed f) {
      throw f.error();
    }
    if (!r.stream()) {
      Event e = first;
      while (!(e instanceof Event.Done)) {
        e = next(g);
        if (e instanceof Event.Failed f) {
          throw f.error();
        }
      }
      Answers.send(ex, 200, Answers.done((Event.Done) e));
      return;
    }
    ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
    ex.getResponseHeaders().set("Cache-Control", "no-cache");
    OutputStream out;
    try {
      ex.sendResponseHeaders(200, 0);                        // chunked: events go out as they come
      out = ex.getResponseBody();
    } catch (IOException e) {
      g.cancel();
      throw e;
    }
    Event e = first;
    while (true) {
      ObjectNode data = e instanceof Event.Token t ? Answers.token(t)
          : e instanceof Event.Done d ? Answers.done(d) : Answers.error(((Event.Failed) e).error().getMessage());
      try {
        out.write(("data: " + Requests.JSON.writeValueAsString(data) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
      } catch (IOException io) {
        g.cancel();                                          // the client is gone: free its slot
        throw io;
      }
      if (!(e instanceof Event.Token)) {
        return;
      }
      try {
        e = next(g);
      } catch (HttpError timeout) {
        e = new Event.Failed(timeout);
      }
    }
  }

  /** The next event of a generation; a 504 (and the slot freed) if the decode thread is silent past the deadline. */
  private Event next(Generation g) {
    try {
      long wait = g.deadlineNanos + GRACE_NANOS - System.nanoTime();
      Event e = g.events.poll(Math.max(0, wait), TimeUnit.NANOSECONDS);
      if (e == null) {
        g.cancel();
        throw new HttpError(504, "no answer within the request timeout of " + config.timeoutMs() + " ms");
      }
      return e;
    } catch (InterruptedException e) {
      g.cancel();
      Thread.currentThread().interrupt();
      throw new HttpError(503, "the server is stopping");
    }
  }

  private void score(HttpExchange ex, String text) throws IOException {
    int[] ids = encode("text", text, limits.scoreTokens(), limits.scoreTokens() == limits.promptTokens()
        ? "max-prompt-tokens" : "the model's seq-len");
    Scheduler.ScoreTask task = new Scheduler.ScoreTask(ids, scorer::logProbs, new CompletableFuture<>());
    scheduler.submit(task);
    double[] lp;
    try {
      lp = task.result().get(config.timeoutMs(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new HttpError(504, "no answer within the request timeout of " + config.timeoutMs() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new HttpError(503, "the server is stopping");
    } catch (ExecutionException e) {
      throw e.getCause() instanceof HttpError h ? h : new HttpError(500, "scoring failed: " + e.getCause());
    }
    Answers.send(ex, 200, ScoreAnswer.json(ids, lp, text.getBytes(StandardCharsets.UTF_8).length, tokenizer));
  }
}
