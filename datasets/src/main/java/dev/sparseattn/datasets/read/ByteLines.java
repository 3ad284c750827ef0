package dev.sparseattn.datasets.read;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;

/**
 * Lines of a byte stream with their byte offsets, terminated by LF (a CR before it is dropped); the
 * last line may lack its terminator. A line longer than {@code maxLine} bytes is cut there and flagged
 * ({@link #truncated()}); the rest of it is skipped, so memory stays bounded.
 */
final class ByteLines {
  private final InputStream in;
  private final int maxLine;
  private final byte[] buf = new byte[1 << 16];
  private int pos;
  private int limit;
  private long consumed;
  private byte[] line = new byte[256];
  private int length;
  private long offset;
  private boolean truncated;

  ByteLines(InputStream in, int maxLine) {
    this(in, maxLine, 0);
  }

  /** Lines of {@code in}, whose first byte is at offset {@code start} of the file. */
  ByteLines(InputStream in, int maxLine, long start) {
    this.in = in;
    this.maxLine = maxLine;
    this.consumed = start;
  }

  /** Reads the next line; false at the end of the stream. I/O errors are UncheckedIOExceptions. */
  boolean next() {
    length = 0;
    truncated = false;
    offset = consumed;
    boolean any = false;
    while (true) {
      if (pos == limit && !fill()) {
        return any;
      }
      any = true;
      byte b = buf[pos++];
      consumed++;
      if (b == '\n') {
        if (length > 0 && line[length - 1] == '\r') {
          length--;
        }
        return true;
      }
      if (length == maxLine) {
        truncated = true;
        continue;
      }
      if (length == line.length) {
        line = Arrays.copyOf(line, Math.min(maxLine, line.length * 2));
      }
      line[length++] = b;
    }
  }

  private boolean fill() {
    try {
      int n = in.read(buf);
      if (n <= 0) {
        return false;
      }
      pos = 0;
      limit = n;
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The current line's bytes (valid until the next call), {@link #length()} of them. */
  byte[] bytes() {
    return line;
  }

  int length() {
    return length;
  }

  /** A copy of the current line. */
  byte[] copy() {
    return Arrays.copyOf(line, length);
  }

  /** Byte offset of the current line. */
  long offset() {
    return offset;
  }

  /** Bytes consumed so far: the offset of the next line. */
  long consumed() {
    return consumed;
  }

  /** Whether the current line was longer than the limit and cut. */
  boolean truncated() {
    return truncated;
  }

  boolean startsWith(char c) {
    return length > 0 && line[0] == c;
  }
}
