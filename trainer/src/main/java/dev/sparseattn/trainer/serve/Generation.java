package dev.sparseattn.trainer.serve;

import dev.sparseattn.datasets.tokenize.Tokenizer;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * One generation request on its way through the {@link Scheduler}: its prompt ids, sampler and limits, the tokens
 * produced so far, and the events the HTTP thread reads. The decode thread alone changes the token state; the HTTP
 * thread only reads events and may {@link #cancel} (when the client has gone).
 */
final class Generation {
  final int[] prompt;              // [1 + prompt tokens]: EOS then the prompt, as documents start in training
  final GenerateRequest request;
  final long deadlineNanos;
  final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
  private final Tokenizer tokenizer;
  private final TokenPicker picker;
  private final int[] ids;         // [maxNewTokens] generated ids
  private int count;
  private volatile boolean cancelled;
  int slot = -1;

  Generation(int[] prompt, GenerateRequest request, Tokenizer tokenizer, TokenPicker picker, long deadlineNanos) {
    this.prompt = prompt;
    this.request = request;
    this.tokenizer = tokenizer;
    this.picker = picker;
    this.deadlineNanos = deadlineNanos;
    this.ids = new int[request.maxNewTokens()];
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

  /**
   * Picks the next token from {@code logProbs} and sends it; returns whether the generation ended (EOS, a stop
   * string, or max_new_tokens reached), in which case the end has been sent too.
   */
  boolean advance(double[] logProbs) {
    int id = picker.next(logProbs);
    if (id == tokenizer.eosId() && request.stopAtEos()) {
      return finish("eos");
    }
    ids[count++] = id;
    if (!request.stop().isEmpty()) {
      String text = tokenizer.decode(ids, 0, count);
      for (String s : request.stop()) {
        int at = text.indexOf(s);
        if (at >= 0) {
          events.add(new Event.Done("stop", text.substring(0, at), Arrays.copyOf(ids, count), prompt.length - 1));
          return true;
        }
      }
    }
    events.add(new Event.Token(id, tokenizer.decode(ids, count - 1, count)));
    return count == ids.length && finish("length");
  }

  /** The token to append to the slot: the last one picked. */
  int last() {
    return ids[count - 1];
  }

  /** Sends the end with the text so far. */
  boolean finish(String reason) {
    events.add(new Event.Done(reason, tokenizer.decode(ids, 0, count), Arrays.copyOf(ids, count), prompt.length - 1));
    return true;
  }

  void fail(HttpError e) {
    events.add(new Event.Failed(e));
  }
}
