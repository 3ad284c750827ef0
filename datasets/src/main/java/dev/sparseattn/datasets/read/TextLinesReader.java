package dev.sparseattn.datasets.read;

import java.io.InputStream;
import java.util.Arrays;

/**
 * Text with a document per line (the line's bytes without its LF, or CR LF). Blank lines (empty, or spaces and tabs
 * only) are skipped: they are not records. A line over {@code maxBytes} is quarantined ({@code too-long}) with a
 * sample instead of held in memory. Offset: the byte offset of the line; record number: the count of documents and
 * quarantined lines before it.
 */
public final class TextLinesReader implements RecordFormat {
  private static final long serialVersionUID = 1L;

  private final int maxBytes;

  public TextLinesReader(int maxBytes) {
    this.maxBytes = maxBytes;
  }

  @Override
  public Units open(InputStream in) {
    ByteLines lines = new ByteLines(in, maxBytes);
    return new QueuedUnits() {
      @Override
      protected boolean advance() {
        while (lines.next()) {
          if (blank(lines.bytes(), lines.length())) {
            continue;
          }
          if (lines.truncated()) {
            emit(DocLine.quarantined(lines.offset(), nextRecordNo(),
                Arrays.copyOf(lines.bytes(), Math.min(96, lines.length())),
                "too-long: a line over " + maxBytes + " bytes"));
          } else {
            emit(DocLine.document(lines.offset(), nextRecordNo(), lines.copy(), 1, null));
          }
          return true;
        }
        return false;
      }

      @Override
      public long position() {
        return lines.consumed();
      }
    };
  }

  private static boolean blank(byte[] b, int n) {
    for (int i = 0; i < n; i++) {
      if (b[i] != ' ' && b[i] != '\t') {
        return false;
      }
    }
    return true;
  }
}
