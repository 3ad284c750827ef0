package dev.sparseattn.trainer.serve;

import dev.sparseattn.datasets.tokenize.Tokenizer;
import dev.sparseattn.trainer.generate.DecodeEngine;
import dev.sparseattn.trainer.generate.Generator;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Continuous batching (as in Orca, Yu et al. 2022): ONE decode thread owns the {@link DecodeEngine} (and the
 * network). Between two steps it runs waiting score requests, drops generations whose client went away or whose
 * time ran out, and admits waiting generations into free slots (prefill, {@link Generator#start}); then every active
 * generation picks its token with its own seeded sampler and all of them advance together in one batched engine step
 * ({@link Generator#step}). Requests join and leave between steps, never waiting for the others to finish.
 *
 * <p>At most {@code slots + queueLength} requests are in the server at once; {@link #submit} refuses more with a 503.
 */
final class Scheduler implements AutoCloseable {
  private final DecodeEngine engine;
  private final Generator generator;
  private final int capacity;
  private final LinkedBlockingQueue<Task> inbox = new LinkedBlockingQueue<>();
  private final Deque<Generation> waiting = new ArrayDeque<>();
  private final List<Generation> active = new ArrayList<>();
  private final AtomicInteger inServer = new AtomicInteger();
  private final AtomicInteger freeSlots = new AtomicInteger();
  private final AtomicInteger activeCount = new AtomicInteger();
  private final AtomicLong disconnected = new AtomicLong();
  private final AtomicLong steps = new AtomicLong();
  private final AtomicLong stepped = new AtomicLong();      // sequences summed over steps
  private final Thread thread;
  private volatile boolean running = true;

  /** What the HTTP threads hand to the decode thread: a {@link Generation} or a {@link ScoreTask}. */
  interface Task {}

  /** A score request: runs on the decode thread between steps. */
  record ScoreTask(int[] ids, Function<int[], double[]> scorer, CompletableFuture<double[]> result) implements Task {}

  /** Takes ownership of {@code engine}: only the decode thread uses it from now on, and closes it. */
  Scheduler(DecodeEngine engine, Tokenizer tokenizer, int queueLength) {
    this.engine = engine;
    this.generator = new Generator(engine, tokenizer);
    this.freeSlots.set(engine.freeSlots());
    this.capacity = engine.freeSlots() + queueLength;
    this.thread = new Thread(this::loop, "serve-decode");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  /** Queues a generation or score task, or refuses it with 503 when the server holds its capacity already. */
  void submit(Task task) {
    if (!running) {
      throw new HttpError(503, "the server is stopping");
    }
    if (inServer.incrementAndGet() > capacity) {
      inServer.decrementAndGet();
      throw new HttpError(503, "server busy: " + capacity + " requests are running or queued (max-concurrent + "
          + "queue-length); retry later");
    }
    inbox.add(task);
  }

  int freeSlots() {
    return freeSlots.get();
  }

  /** Generations dropped because their client went away (a write failed) before they ended. */
  long disconnected() {
    return disconnected.get();
  }

  /** Batched decoding steps run so far. */
  long steps() {
    return steps.get();
  }

  /** Sequences advanced so far, summed over the steps (over {@link #steps}: the mean batch). */
  long sequenceSteps() {
    return stepped.get();
  }

  int active() {
    return activeCount.get();
  }

  /** Requests accepted and not yet answered beyond those being decoded. */
  int queued() {
    return Math.max(0, inServer.get() - activeCount.get());
  }

  private void loop() {
    while (running) {
      try {
        Task first = active.isEmpty() && waiting.isEmpty() ? inbox.poll(200, TimeUnit.MILLISECONDS) : inbox.poll();
        for (Task t = first; t != null; t = inbox.poll()) {
          take(t);
        }
        admit();
        if (!active.isEmpty()) {
          step();
        }
      } catch (InterruptedException e) {
        break;
      } catch (RuntimeException | Error e) {
        // a bug or an engine failure: fail what is running, free its slots, keep serving
        for (Generation g : new ArrayList<>(active)) {
          g.fail(new HttpError(500, "decoding failed: " + e));
          try {
            leave(g);
          } catch (RuntimeException again) {
            active.remove(g);
            inServer.decrementAndGet();
          }
        }
        activeCount.set(active.size());
      }
    }
    shutdown();
  }

  private void take(Task t) {
    if (t instanceof Generation g) {
      waiting.add(g);
    } else {
      ScoreTask s = (ScoreTask) t;
      try {
        s.result().complete(s.scorer().apply(s.ids()));
      } catch (RuntimeException e) {
        s.result().completeExceptionally(e);
      } finally {
        inServer.decrementAndGet();
      }
    }
  }

  /** Drops cancelled and expired waiting requests; fills free slots from the queue (prefill). */
  private void admit() {
    long now = System.nanoTime();
    for (Iterator<Generation> it = waiting.iterator(); it.hasNext(); ) {
      Generation g = it.next();
      if (g.cancelled() || g.expired(now)) {
        it.remove();
        inServer.decrementAndGet();
        g.fail(new HttpError(503, "timed out waiting for a free slot"));
      }
    }
    while (!waiting.isEmpty() && engine.freeSlots() > 0) {
      Generation g = waiting.poll();
      try {
        g.sequence = generator.start(g.prompt, g.request.generation(), g::token);
      } catch (IllegalArgumentException e) {
        inServer.decrementAndGet();
        g.fail(new HttpError(400, "prompt: " + e.getMessage()));
        continue;
      } catch (RuntimeException e) {
        inServer.decrementAndGet();
        g.fail(new HttpError(500, "prefill failed: " + e));
        continue;
      }
      active.add(g);
    }
    freeSlots.set(engine.freeSlots());
    activeCount.set(active.size());
  }

  /** Drops the generations whose client is gone or whose time is up; one token for all the others, in one step. */
  private void step() {
    long now = System.nanoTime();
    for (Generation g : new ArrayList<>(active)) {
      if (g.cancelled()) {
        disconnected.incrementAndGet();                   // the client is gone: nobody to tell
        leave(g);
      } else if (g.expired(now)) {
        g.finish("timeout");
        leave(g);
      }
    }
    List<Generator.Sequence> sequences = new ArrayList<>(active.size());
    for (Generation g : active) {
      sequences.add(g.sequence);
    }
    generator.step(sequences);
    steps.incrementAndGet();
    stepped.addAndGet(sequences.size());
    for (Generation g : new ArrayList<>(active)) {
      if (g.sequence.done()) {
        g.finish(null);
        leave(g);
      }
    }
  }

  /** Takes a generation out of the batch, freeing its slot (a finished sequence has freed it already). */
  private void leave(Generation g) {
    active.remove(g);
    if (!g.sequence.done()) {
      engine.release(g.sequence.slot());
    }
    inServer.decrementAndGet();
    freeSlots.set(engine.freeSlots());
    activeCount.set(active.size());
  }

  private void shutdown() {
    HttpError stopping = new HttpError(503, "the server is stopping");
    for (Task t = inbox.poll(); t != null; t = inbox.poll()) {
      if (t instanceof Generation g) {
        g.fail(stopping);
      } else {
        ((ScoreTask) t).result().completeExceptionally(stopping);
      }
    }
    waiting.forEach(g -> g.fail(stopping));
    active.forEach(g -> g.fail(stopping));
    waiting.clear();
    active.clear();
    engine.close();
  }

  /** Stops the decode thread; running and queued requests get a 503. */
  @Override
  public void close() {
    running = false;
    thread.interrupt();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
