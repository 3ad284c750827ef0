package dev.sparseattn.trainer.distributed;

import dev.sparseattn.trainer.train.SequenceBatches;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The minibatches of one worker's round: exactly {@code steps} batches of its stream, turned into
 * {@link DataSet}s, either on the training thread ({@code prefetch = 0}) or by a background reader that
 * keeps up to {@code prefetch} batches ready while the replica trains (shard decoding, shuffling and
 * array construction then overlap the optimiser steps). Both ways read the same rows in the same order,
 * so results do not depend on the setting. The reader opens the stream itself, so any failure reading
 * the data (a missing or corrupt shard) is rethrown by {@link #next} on the training thread and fails
 * the Spark task with its cause. The reader thread is attached to the training thread's ND4J device
 * (one device per worker on GPUs).
 */
final class RoundBatches implements AutoCloseable {
  /** One minibatch: the arrays, its number of target tokens and of sequences. */
  record Batch(DataSet data, long targets, int sequences) {}

  private record Failure(Throwable cause) {}

  private record End(SequenceBatches.Position position) {}

  private final Supplier<SequenceBatches> open;
  private final BiFunction<int[][], int[][], DataSet> toDataSet;
  private final int steps;
  private final BlockingQueue<Object> queue;
  private final Thread reader;
  private SequenceBatches batches;   // synchronous mode only
  private SequenceBatches.Position end;
  private int taken;

  /**
   * @param open opens the worker's stream at its position (called on the reader thread when prefetching)
   * @param toDataSet a batch from rows and their segment ids (null when the shards have none)
   * @param steps batches to deliver
   * @param prefetch batches read ahead, 0 to read on the calling thread
   */
  RoundBatches(Supplier<SequenceBatches> open, BiFunction<int[][], int[][], DataSet> toDataSet, int steps,
               int prefetch, String name) {
    this.open = open;
    this.toDataSet = toDataSet;
    this.steps = steps;
    if (prefetch == 0) {
      this.queue = null;
      this.reader = null;
      return;
    }
    this.queue = new ArrayBlockingQueue<>(prefetch + 1);   // + 1 for the end (or failure) marker
    Integer device = Nd4j.getAffinityManager().getDeviceForCurrentThread();
    this.reader = new Thread(() -> read(device), name);
    reader.setDaemon(true);
    reader.start();
  }

  private void read(Integer device) {
    try {
      Nd4j.getAffinityManager().unsafeSetDevice(device);
      SequenceBatches b = open.get();
      for (int i = 0; i < steps; i++) {
        queue.put(batch(b.next(), b.segments()));
      }
      queue.put(new End(b.position()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Throwable t) {
      queue.clear();
      queue.offer(new Failure(t));
    }
  }

  private Batch batch(int[][] rows, int[][] segments) {
    DataSet ds = toDataSet.apply(rows, segments);
    return new Batch(ds, (long) ds.getLabelsMaskArray().sumNumber().doubleValue(), rows.length);
  }

  /** The next batch; rethrows a failure of the reader. */
  Batch next() {
    if (taken == steps) {
      throw new IllegalStateException("all " + steps + " batches of the round were taken");
    }
    taken++;
    if (queue == null) {
      if (batches == null) {
        batches = open.get();
      }
      Batch b = batch(batches.next(), batches.segments());
      if (taken == steps) {
        end = batches.position();
      }
      return b;
    }
    Object item = take();
    if (item instanceof Batch b) {
      return b;
    }
    throw failed(item);
  }

  /** The stream's position after the last batch (once every batch was taken). */
  SequenceBatches.Position position() {
    if (taken < steps) {
      throw new IllegalStateException("position is known after all " + steps + " batches, " + taken + " taken");
    }
    if (end == null) {
      Object item = steps == 0 && queue == null ? new End(open.get().position()) : take();
      if (!(item instanceof End e)) {
        throw failed(item);
      }
      end = e.position();
    }
    return end;
  }

  private Object take() {
    try {
      return queue.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for training data", e);
    }
  }

  private static RuntimeException failed(Object item) {
    if (item instanceof Failure f) {
      return new IllegalStateException("reading training data failed: " + f.cause(), f.cause());
    }
    return new IllegalStateException("unexpected item from the data reader: " + item);
  }

  /** Stops the reader (when the round ends early, e.g. on an exception in training). */
  @Override
  public void close() {
    if (reader != null && reader.isAlive()) {
      reader.interrupt();
      try {
        reader.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
