package dev.sparseattn.trainer.serve;

import dev.sparseattn.trainer.generate.Generator;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * One generation request on its way through the {@link Scheduler}: its prompt ids and settings, its
 * {@link Generator.Sequence} once admitted (sampler, stop rules, text), and the events the HTTP thread reads. The
 * decode thread alone touches the sequence; the HTTP thread only reads events and may {@link #cancel} (when the client
 * has gone).
 */
final class Generation implements Scheduler.Task {
  final int[] prompt;              // [1 + prompt tokens]: EOS then the prompt, as documents start in training
  final GenerateRequest request;
  final long deadlineNanos;
  final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
  Generator.Sequence sequence;     // set by the decode thread on admission
  private volatile boolean cancelled;

  Generation(int[] prompt, GenerateRequest request, long deadlineNanos) {
    this.prompt = prompt;
    this.request = request;
    this.deadlineNanos = deadlineNanos;
  }

  /** Called by the HTTP thread when the client cannot be written to any more. */
  void cancel() {
    cancelled = true;
  }

  boolean cancelled() {
    return cancelled;
  }

  boolean expired(long now) {
    return now - deadlineNanos > 0;
  }

  /** Sends a token event (the sequence's callback). */
  void token(Generator.TokenEvent e) {
    events.add(new Event.Token(e.token(), e.text()));
  }

  /** Sends the end: the sequence's outcome, or {@code reason} with the text so far when it was cut short. */
  void finish(String reason) {
    Generator.Result r = sequence.result();
    events.add(new Event.Done(reason != null ? reason : r.finishReason(), r.text(), r.tokens(), prompt.length - 1));
  }

  void fail(HttpError e) {
    events.add(new Event.Failed(e));
  }
}
