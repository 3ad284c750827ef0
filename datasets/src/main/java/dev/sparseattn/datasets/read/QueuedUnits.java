package dev.sparseattn.datasets.read;

import dev.sparseattn.datasets.read.DocLine;
import java.util.ArrayDeque;
import java.util.NoSuchElementException;

/** Base of the readers: subclasses {@link #advance()} by queueing zero or more units per step. */
abstract class QueuedUnits implements RecordFormat.Units {
  private final ArrayDeque<DocLine> queue = new ArrayDeque<>();
  private boolean ended;
  private long count;

  /** Reads on and queues units; returns false at the end of the input (after queueing the last ones). */
  protected abstract boolean advance();

  protected void emit(DocLine unit) {
    queue.add(unit);
  }

  /** The record number the next emitted unit gets: units emitted so far, queued ones included. */
  protected long nextRecordNo() {
    return count + queue.size();
  }

  @Override
  public final boolean hasNext() {
    while (queue.isEmpty() && !ended) {
      ended = !advance();
    }
    return !queue.isEmpty();
  }

  @Override
  public final DocLine next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    count++;
    return queue.poll();
  }

  @Override
  public final long count() {
    return count;
  }
}
