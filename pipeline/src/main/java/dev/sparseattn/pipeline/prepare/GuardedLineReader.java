package dev.sparseattn.pipeline.prepare;

import java.io.IOException;
import java.util.Arrays;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.mapreduce.InputSplit;
import org.apache.hadoop.mapreduce.RecordReader;
import org.apache.hadoop.mapreduce.TaskAttemptContext;
import org.apache.hadoop.mapreduce.lib.input.FileSplit;
import org.apache.hadoop.mapreduce.lib.input.LineRecordReader;

/**
 * Hadoop's {@link LineRecordReader} that never fails the task on bad input: when reading throws (a
 * truncated or corrupt gzip stream, a failing block) it returns one last record carrying the error,
 * keyed by the offset where the next line would have started, and stops. The first split of a
 * non-empty file that holds no line at all (a compressed empty text) returns an {@code empty-file}
 * record instead. Values are copies, never reused.
 */
final class GuardedLineReader extends RecordReader<LongWritable, RawLine> {
  private final LineRecordReader lines;
  private final LongWritable key = new LongWritable();
  private RawLine value;
  private boolean firstSplit;
  private boolean done;
  private long count;
  private long nextOffset;
  private String pendingError;

  GuardedLineReader(byte[] delimiter) {
    this.lines = new LineRecordReader(delimiter);
  }

  @Override
  public void initialize(InputSplit split, TaskAttemptContext context) throws IOException {
    FileSplit file = (FileSplit) split;
    firstSplit = file.getStart() == 0;
    nextOffset = file.getStart();
    try {
      lines.initialize(split, context);
    } catch (IOException | RuntimeException e) {
      pendingError = "unreadable: " + message(e);
    }
    // Zero-byte files are accounted for by the driver (LineSource.emptyFiles): Spark skips their splits.
    firstSplit &= file.getLength() > 0;
  }

  @Override
  public boolean nextKeyValue() {
    if (done) {
      return false;
    }
    if (pendingError == null) {
      try {
        if (lines.nextKeyValue()) {
          long offset = lines.getCurrentKey().get();
          byte[] bytes = Arrays.copyOf(lines.getCurrentValue().getBytes(), lines.getCurrentValue().getLength());
          key.set(offset);
          value = new RawLine(bytes, null);
          nextOffset = offset + bytes.length + 1;
          count++;
          return true;
        }
        if (firstSplit && count == 0) {
          pendingError = "empty-file: no lines";
        }
      } catch (IOException | RuntimeException e) {
        pendingError = "truncated: " + message(e) + " after " + count + " line(s) of this split";
      }
    }
    done = true;
    if (pendingError == null) {
      return false;
    }
    key.set(nextOffset);
    value = new RawLine(new byte[0], pendingError);
    return true;
  }

  static String message(Throwable e) {
    String m = e.getMessage();
    return e.getClass().getSimpleName() + (m == null ? "" : " " + m.replace('\n', ' '));
  }

  @Override
  public LongWritable getCurrentKey() {
    return key;
  }

  @Override
  public RawLine getCurrentValue() {
    return value;
  }

  @Override
  public float getProgress() throws IOException {
    return done ? 1f : lines.getProgress();
  }

  @Override
  public void close() throws IOException {
    try {
      lines.close();
    } catch (IOException e) {
      // A broken stream may also fail to close; the error was already recorded.
    }
  }
}
