package dev.sparseattn.datasets.read;

import java.io.IOException;
import java.io.InputStream;

/** Finding line boundaries around a split's start (see {@link SplittableFormat}). */
final class Resync {
  private static final int BLOCK = 4096;

  private Resync() {}

  /** The offset of the first line that starts at or after {@code start} (the file's length if none). */
  static long nextLineStart(RangeInput file, long start) throws IOException {
    if (start == 0) {
      return 0;
    }
    InputStream in = file.openAt(start - 1);
    byte[] buf = new byte[BLOCK];
    long pos = start - 1;
    for (int n; (n = in.read(buf)) > 0; ) {
      for (int i = 0; i < n; i++) {
        if (buf[i] == '\n') {
          return pos + i + 1;
        }
      }
      pos += n;
    }
    return file.length();
  }

  /**
   * Whether the line that ends just before line start {@code lineStart} holds only spaces and tabs
   * (a CR before its LF ignored), as {@link ParagraphReader} calls a line blank; true at the file's
   * start. Reads backwards from {@code lineStart}, only as far as the first non-blank byte or LF.
   */
  static boolean previousLineBlank(RangeInput file, long lineStart) throws IOException {
    if (lineStart == 0) {
      return true;
    }
    long end = lineStart - 1; // the LF ending the previous line
    byte[] buf = new byte[BLOCK];
    boolean last = true; // the byte just before the LF
    for (long hi = end; hi > 0; ) {
      long lo = Math.max(0, hi - BLOCK);
      int n = (int) (hi - lo);
      InputStream in = file.openAt(lo);
      int got = 0;
      for (int r; got < n && (r = in.read(buf, got, n - got)) > 0; ) {
        got += r;
      }
      if (got < n) {
        throw new java.io.EOFException("file shorter than expected at offset " + (lo + got));
      }
      for (int i = n - 1; i >= 0; i--) {
        byte b = buf[i];
        if (b == '\n') {
          return true;
        }
        boolean blank = b == ' ' || b == '\t' || (b == '\r' && last);
        if (!blank) {
          return false;
        }
        last = false;
      }
      hi = lo;
    }
    return true;
  }
}
