package dev.sparseattn.datasets.read;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The two-pass split reading of FASTA ({@link ScannedSplitFormat}, used by {@link FastaReader}). A
 * part's bytes are taken from the first line start at or after its start offset to the first line
 * start at or after its end offset, so every line lies in one part. Pass one counts, per part, its
 * header lines and the bases (non-whitespace bytes of other lines) before the first header and after
 * the last one, and keeps the last header; chained on the driver, these give each part the record it
 * starts in (offset, index, header) and that record's bases before the part, so windows keep the
 * record, offset and stride of a whole-file read. A part owns the windows whose first base lies in
 * it, a record's {@code empty-record} unit is owned by the part of its header, and the file's
 * {@code no-header} unit by the part of the first headerless byte (its byte count is the chained total).
 */
public final class FastaParts {
  private static final int BLOCK = 1 << 16;

  private FastaParts() {}

  /** Pass one's summary of a part: {@code headers} header lines; bases before the first and after the last. */
  public record Part(long headers, long basesBefore, long lastHeaderOffset, String lastHeader, long basesAfter)
      implements Serializable {
    static final Part EMPTY = new Part(0, 0, -1, null, 0);
  }

  /**
   * The state a part starts in: in record {@code fastaRecord} (-1: before the first header) at byte
   * {@code recordOffset} with {@code header}, {@code bases} of its bases before the part; before any
   * header, {@code headerlessBefore} headerless bytes before the part, of {@code headerlessTotal}.
   */
  public record Start(long fastaRecord, long recordOffset, String header, long bases, long headerlessBefore,
      long headerlessTotal) implements Serializable {
    boolean inRecord() {
      return fastaRecord >= 0;
    }
  }

  /** The first line start at or after {@code offset} (0 for 0, the file's length if none). */
  static long lineStart(RangeInput file, long offset) throws IOException {
    return offset >= file.length() ? file.length() : Resync.nextLineStart(file, offset);
  }

  static Part scan(RangeInput file, long start, long end) throws IOException {
    long a = lineStart(file, start);
    long b = lineStart(file, end);
    if (a >= b) {
      return Part.EMPTY;
    }
    InputStream in = file.openAt(a);
    byte[] buf = new byte[BLOCK];
    long headers = 0;
    long before = 0;
    long after = 0;
    long lastOffset = -1;
    byte[] header = new byte[256];
    int headerLen = 0;
    boolean lineStart = true;
    boolean inHeader = false;
    long pos = a;
    while (pos < b) {
      int n = in.read(buf, 0, (int) Math.min(buf.length, b - pos));
      if (n <= 0) {
        throw new java.io.EOFException("file shorter than expected at offset " + pos);
      }
      for (int i = 0; i < n; i++) {
        byte c = buf[i];
        if (inHeader) {
          if (c == '\n') {
            inHeader = false;
            lineStart = true;
          } else if (headerLen < FastaReader.MAX_HEADER) {
            if (headerLen == header.length) {
              header = Arrays.copyOf(header, header.length * 2);
            }
            header[headerLen++] = c;
          }
          continue;
        }
        if (lineStart && c == '>') {
          headers++;
          lastOffset = pos + i;
          headerLen = 0;
          after = 0;
          inHeader = true;
          continue;
        }
        lineStart = c == '\n';
        if (c == '\n' || c == '\r' || c == ' ' || c == '\t') {
          continue;
        }
        if (headers == 0) {
          before++;
        } else {
          after++;
        }
      }
      pos += n;
    }
    return new Part(headers, before, lastOffset, headers == 0 ? null : header(header, headerLen), after);
  }

  /** A header line's kept bytes as text, a CR at their end dropped (as a whole-file read does). */
  static String header(byte[] h, int len) {
    if (len > 0 && h[len - 1] == '\r') {
      len--;
    }
    return new String(h, 0, len, StandardCharsets.UTF_8);
  }

  static List<Start> starts(List<Part> parts) {
    long headerless = 0;
    for (Part p : parts) {
      headerless += p.basesBefore();
      if (p.headers() > 0) {
        break;
      }
    }
    List<Start> starts = new ArrayList<>(parts.size());
    Start s = new Start(-1, -1, null, 0, 0, headerless);
    for (Part p : parts) {
      starts.add(s);
      if (p.headers() > 0) {
        s = new Start(s.fastaRecord() + p.headers(), p.lastHeaderOffset(), p.lastHeader(), p.basesAfter(),
            s.headerlessBefore(), headerless);
      } else if (s.inRecord()) {
        s = new Start(s.fastaRecord(), s.recordOffset(), s.header(), s.bases() + p.basesBefore(),
            s.headerlessBefore(), headerless);
      } else {
        s = new Start(-1, -1, null, 0, s.headerlessBefore() + p.basesBefore(), headerless);
      }
    }
    return starts;
  }
}
