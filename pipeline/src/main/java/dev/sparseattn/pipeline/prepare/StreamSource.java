package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.read.DocLine;
import dev.sparseattn.datasets.read.RecordFormat;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;

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
  static final class Guarded extends GuardedUnits {
    private CountingStream counted;
    private RecordFormat.Units units;

    Guarded(Path path, Configuration conf, RecordFormat format) {
      try {
        FileSystem fs = path.getFileSystem(conf);
        CompressionCodec codec = new CompressionCodecFactory(conf).getCodec(path);
        InputStream raw = fs.open(path);
        closing(raw);
        counted = new CountingStream(codec == null ? raw : codec.createInputStream(raw));
        closing(counted);
        units = format.open(counted);
        opened(units);
      } catch (IOException | RuntimeException e) {
        failed(DocLine.quarantined(0, 0, new byte[0], "unreadable: " + GuardedLineReader.message(e)));
      }
    }

    @Override
    DocLine ended() {
      return units.count() == 0 && counted.count == 0 ? DocLine.quarantined(0, 0, new byte[0], "empty-file: no content")
          : null;
    }

    @Override
    DocLine truncated(UncheckedIOException e) {
      return DocLine.quarantined(position(units, counted.count), units.count(), new byte[0], "truncated: "
          + GuardedLineReader.message(e.getCause()) + " after " + counted.count + " decompressed bytes");
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
