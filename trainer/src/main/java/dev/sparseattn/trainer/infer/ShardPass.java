package dev.sparseattn.trainer.infer;

import dev.sparseattn.datasets.shard.ShardReader;
import dev.sparseattn.datasets.shard.ShardRow;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * A Spark task over some shards of a prepared dataset: reads their rows in order, sets aside rows that cannot be
 * scored (with a reason), runs the model on batches of {@code batchSize} rows and emits one output row per input row,
 * lazily (a batch at a time, never a whole shard in memory). Output rows are
 * {@code [seq_id, shard, <the job's columns>, reason]}; {@code reason} is null for a processed row, and a set-aside
 * row has nulls in the job's columns. The model comes from the JVM's {@link ModelCache}.
 */
abstract class ShardPass implements FlatMapFunction<Iterator<String>, Row> {
  private static final long serialVersionUID = 1L;

  protected final ModelRef model;
  private final String datasetDir;
  private final int batchSize;
  private final int width;
  private final int vocab;

  ShardPass(ModelRef model, String datasetDir, int seqLen, int batchSize) {
    this.model = model;
    this.datasetDir = datasetDir;
    this.batchSize = batchSize;
    this.width = seqLen + 1;
    this.vocab = model.config().vocabSize();
  }

  /** Number of the job's own columns (between {@code shard} and {@code reason}). */
  abstract int columnCount();

  /** The job's columns for each row of a batch (all of the same width, each with a target). */
  abstract List<Object[]> process(ModelCache.Lease lease, List<ShardRow> batch);

  @Override
  public Iterator<Row> call(Iterator<String> shards) {
    Configuration conf = model.hadoopConfiguration();
    return new Iterator<>() {
      private final ArrayDeque<Row> ready = new ArrayDeque<>();
      private ShardReader reader;
      private String shard;

      @Override
      public boolean hasNext() {
        try {
          while (ready.isEmpty() && (reader != null || shards.hasNext())) {
            if (reader == null) {
              shard = shards.next();
              reader = ShardReader.open(new Path(datasetDir, shard), conf);
            }
            fill();
          }
          return !ready.isEmpty();
        } catch (IOException e) {
          throw new UncheckedIOException("reading shard " + shard + ": " + e.getMessage(), e);
        }
      }

      @Override
      public Row next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return ready.poll();
      }

      private void fill() throws IOException {
        List<ShardRow> batch = new ArrayList<>(batchSize);
        ShardRow row;
        while (batch.size() < batchSize && (row = reader.read()) != null) {
          String reason = reject(row);
          if (reason == null) {
            batch.add(row);
          } else {
            Object[] values = new Object[columnCount() + 3];
            values[0] = row.seqId();
            values[1] = shard;
            values[values.length - 1] = reason;
            ready.add(RowFactory.create(values));
          }
        }
        if (batch.size() < batchSize) {
          reader.close();
          reader = null;
        }
        if (!batch.isEmpty()) {
          List<Object[]> out;
          try (ModelCache.Lease lease = ModelCache.borrow(model, width - 1)) {
            out = process(lease, batch);
          }
          for (int i = 0; i < batch.size(); i++) {
            Object[] values = new Object[columnCount() + 3];
            values[0] = batch.get(i).seqId();
            values[1] = shard;
            System.arraycopy(out.get(i), 0, values, 2, columnCount());
            ready.add(RowFactory.create(values));
          }
        }
      }
    };
  }

  /** Why a row cannot be processed, or null. */
  private String reject(ShardRow row) {
    int[] t = row.tokens();
    if (t.length != width) {
      return "bad-width: " + t.length + " ids, the dataset's rows hold " + width;
    }
    if (row.nTokens() < 2 || row.nTokens() > width) {
      return "no-target: " + row.nTokens() + " real tokens (a row needs 2 to " + width + ")";
    }
    for (int j = 0; j < t.length; j++) {
      if (t[j] < 0 || t[j] >= vocab) {
        return "bad-token: id " + t[j] + " at " + j + " outside [0, " + vocab + ")";
      }
    }
    return null;
  }

  static int[][] tokens(List<ShardRow> batch) {
    return batch.stream().map(ShardRow::tokens).toArray(int[][]::new);
  }

  /** The rows' segment ids when the model was trained with the document mask and the shards carry them, else null. */
  int[][] segments(List<ShardRow> batch) {
    if (!model.documentMask() || batch.stream().anyMatch(r -> r.segmentIds() == null)) {
      return null;
    }
    return batch.stream().map(ShardRow::segmentIds).toArray(int[][]::new);
  }

  static int[] nTokens(List<ShardRow> batch) {
    return batch.stream().mapToInt(ShardRow::nTokens).toArray();
  }
}
