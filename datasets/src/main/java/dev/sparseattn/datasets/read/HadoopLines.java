package dev.sparseattn.datasets.read;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.util.LineReader;

/**
 * The lines of a byte range of a file as Hadoop's {@code LineRecordReader} gives them for the whole
 * file (Hadoop's default line reader: lines end at LF, CR LF or CR; a UTF-8 byte order mark at the
 * file's start is dropped from the first line; each line keyed by the offset of its first byte): a
 * range owns the lines that start in it, finds its first line start by itself (from the byte before
 * the range, so a CR LF pair across the edge is one terminator) and reads past its end to finish its
 * last line. For reading a block-compressed file's decompressed ranges, where Hadoop's own split
 * reading would key lines by compressed positions.
 */
public final class HadoopLines {
  private HadoopLines() {}

  /**
   * The lines starting in {@code [start, end)}, each a document of one record at its offset (record
   * number unknown, as for lines read whole); reading failures are {@link UncheckedIOException}s.
   */
  public static Iterator<DocLine> split(RangeInput file, long start, long end) throws IOException {
    long first = lineStart(file, start);
    LineReader reader = new LineReader(file.openAt(first), 1 << 16);
    return new Iterator<>() {
      private final Text line = new Text();
      private long pos = first;
      private DocLine next;
      private boolean done;

      @Override
      public boolean hasNext() {
        if (next != null) {
          return true;
        }
        if (done || pos >= end) {
          return false;
        }
        int n;
        try {
          n = reader.readLine(line, Integer.MAX_VALUE, Integer.MAX_VALUE);
        } catch (IOException e) {
          done = true;
          throw new UncheckedIOException(e);
        }
        if (n == 0) {
          done = true;
          return false;
        }
        byte[] b = Arrays.copyOf(line.getBytes(), line.getLength());
        if (pos == 0 && b.length >= 3 && (b[0] & 0xff) == 0xef && (b[1] & 0xff) == 0xbb && (b[2] & 0xff) == 0xbf) {
          b = Arrays.copyOfRange(b, 3, b.length);
        }
        next = new DocLine(pos, b);
        pos += n;
        return true;
      }

      @Override
      public DocLine next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        DocLine d = next;
        next = null;
        return d;
      }
    };
  }

  /** The offset of the first line that starts at or after {@code start} (the file's length if none). */
  static long lineStart(RangeInput file, long start) throws IOException {
    if (start == 0) {
      return 0;
    }
    if (start >= file.length()) {
      return file.length();
    }
    InputStream in = new BufferedInputStream(file.openAt(start - 1), 4096);
    int prev = in.read();
    int c = in.read();
    if (prev == '\n') {
      return start;
    }
    if (prev == '\r') {
      return c == '\n' ? start + 1 : start;
    }
    for (long pos = start; c != -1; pos++, c = in.read()) {
      if (c == '\n') {
        return pos + 1;
      }
      if (c == '\r') {
        return in.read() == '\n' ? pos + 2 : pos + 1;
      }
    }
    return file.length();
  }
}
