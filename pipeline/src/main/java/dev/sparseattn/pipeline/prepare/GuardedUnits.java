package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.read.DocLine;
import dev.sparseattn.datasets.read.RecordFormat;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;

/**
 * The shape shared by the readers that turn failures into quarantined units ({@link StreamSource.Guarded}
 * for whole files, {@link SplitUnits} for splits, {@link BlockLineSource}'s line ranges): a reader
 * that cannot be opened is one unit ({@link #failed}); a read that fails midway (an
 * {@link UncheckedIOException} from the units) ends with the unit {@link #truncated} makes; the stream
 * is closed at the end, on failure, or when the Spark task completes, whichever comes first.
 * Subclasses open their reader in their constructor and call {@link #opened} or {@link #failed}.
 */
abstract class GuardedUnits implements Iterator<DocLine> {
  private Closeable stream;
  private Iterator<DocLine> units;
  private DocLine pending;
  private boolean done;

  GuardedUnits() {
    TaskContext task = TaskContext.get();
    if (task != null) {
      task.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) ctx -> close());
    }
  }

  /** The stream to close at the end (set as soon as it is open, so that a failure to open what wraps it closes it). */
  final void closing(Closeable s) {
    stream = s;
  }

  /** Opening succeeded: the units to read. */
  final void opened(Iterator<DocLine> u) {
    units = u;
  }

  /** Opening failed: {@code unit} (an {@code unreadable} one) is all there is. */
  final void failed(DocLine unit) {
    pending = unit;
    done = true;
    close();
  }

  /** The unit that ends the reading when the units fail midway with {@code e}. */
  abstract DocLine truncated(UncheckedIOException e);

  /** A last unit when the units end without failing (none by default). */
  DocLine ended() {
    return null;
  }

  /** Called whenever {@link #hasNext} answers false: every unit, quarantined ones included, was returned. */
  void finished() {}

  /** Each unit as it is returned (quarantined ones included). */
  DocLine emitted(DocLine d) {
    return d;
  }

  @Override
  public final boolean hasNext() {
    if (pending != null) {
      return true;
    }
    if (!done) {
      try {
        if (units.hasNext()) {
          return true;
        }
        pending = ended();
      } catch (UncheckedIOException e) {
        pending = truncated(e);
      }
      done = true;
      close();
      if (pending != null) {
        return true;
      }
    }
    finished();
    return false;
  }

  @Override
  public final DocLine next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    DocLine d = pending;
    if (d != null) {
      pending = null;
    } else {
      d = units.next();
    }
    return emitted(d);
  }

  /**
   * Where the next unit would have started; {@code fallback} when finding it needs the failed stream
   * again (a reader that looks ahead).
   */
  static long position(RecordFormat.Units units, long fallback) {
    try {
      return units.position();
    } catch (UncheckedIOException e) {
      return fallback;
    }
  }

  private void close() {
    if (stream != null) {
      try {
        stream.close();
      } catch (IOException e) {
        // a broken stream may fail to close too; the failure is already recorded
      }
      stream = null;
    }
  }
}
