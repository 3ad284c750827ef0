package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.read.DocLine;
import dev.sparseattn.datasets.read.RecordFormat;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.apache.spark.TaskContext;

/**
 * Units of the record formats (FASTA, FASTQ, CSV, JSON lines, paragraphs) of a file streamed whole by
 * one task through its {@link RecordFormat} (decompressed by Hadoop's codecs, chosen by extension),
 * lazily ({@link SplitSource} admits and keys them, and reads big uncompressed files in splits). A file
 * that cannot be opened is one {@code unreadable} unit; a read that fails midway (a truncated gzip)
 * ends the file with one {@code truncated} unit; a file with no content is one {@code empty-file} unit.
 */
final class StreamSource {
  private StreamSource() {}

  /** A file's units with open, read and emptiness failures turned into quarantined units. */
  static final class Guarded implements Iterator<DocLine> {
    private final CountingStream counted;
    private InputStream stream;
    private RecordFormat.Units units;
    private DocLine last;
    private boolean done;

    Guarded(Path path, Configuration conf, RecordFormat format) {
      CountingStream c = null;
      try {
        FileSystem fs = path.getFileSystem(conf);
        CompressionCodec codec = new CompressionCodecFactory(conf).getCodec(path);
        InputStream raw = fs.open(path);
        stream = raw;
        c = new CountingStream(codec == null ? raw : codec.createInputStream(raw));
        stream = c;
        units = format.open(c);
      } catch (IOException | RuntimeException e) {
        last = DocLine.quarantined(0, 0, new byte[0], "unreadable: " + GuardedLineReader.message(e));
        close();
      }
      counted = c;
      TaskContext task = TaskContext.get();
      if (task != null) {
        task.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) ctx -> close());
      }
    }

    @Override
    public boolean hasNext() {
      if (last != null) {
        return true;
      }
      if (done || units == null) {
        return false;
      }
      try {
        if (units.hasNext()) {
          return true;
        }
        if (units.count() == 0 && counted.count == 0) {
          last = DocLine.quarantined(0, 0, new byte[0], "empty-file: no content");
        }
      } catch (UncheckedIOException e) {
        last = DocLine.quarantined(position(units, counted.count), units.count(), new byte[0], "truncated: "
            + GuardedLineReader.message(e.getCause()) + " after " + counted.count + " decompressed bytes");
      }
      done = true;
      close();
      return last != null;
    }

    @Override
    public DocLine next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      if (last != null) {
        DocLine d = last;
        last = null;
        done = true;
        return d;
      }
      return units.next();
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
          // closing a broken stream may fail too; the failure is already recorded
        }
        stream = null;
      }
    }
  }

  /**
   * Counts the decompressed bytes a reader consumed. A decoder's failure (an {@link IOException}, or a
   * runtime exception some codecs throw on corrupt data) is kept and raised again, as an
   * {@link IOException}, by every later read: a codec read again after a failure may be in a state it
   * cannot leave (Hadoop's bzip2 decoder throws {@link IllegalStateException}).
   */
  private static final class CountingStream extends FilterInputStream {
    long count;
    private IOException failed;

    CountingStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n <= 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (failed != null) {
        throw new IOException(failed.getMessage(), failed);
      }
      int n;
      try {
        n = super.read(b, off, len);
      } catch (IOException e) {
        failed = e;
        throw e;
      } catch (RuntimeException e) {
        failed = new IOException("corrupt compressed data: " + GuardedLineReader.message(e), e);
        throw failed;
      }
      if (n > 0) {
        count += n;
      }
      return n;
    }
  }
}
