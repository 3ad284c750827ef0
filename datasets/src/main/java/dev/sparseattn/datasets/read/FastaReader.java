package dev.sparseattn.datasets.read;

import dev.sparseattn.datasets.tokenize.NucleotideTokenizer;
import dev.sparseattn.datasets.read.DocLine;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * FASTA, streamed: every record ({@code >header} line, then sequence lines) is cut into windows of
 * {@code window} bases with stride {@code stride} (consecutive windows overlap by
 * {@code window - stride} bases); a record's last window holds what is left and is emitted only if
 * it has bases no earlier window covered. Memory is one window, whatever the record's length: a
 * chromosome is never one String. Whitespace inside sequence lines is dropped; every other byte is
 * kept for the tokenizer to accept or refuse (unexpected letters are quarantined by window).
 *
 * <p>Units: each window is one (the accounting unit of FASTA), offset = byte offset of its record's
 * {@code >} plus the window's first base index in the record, record number = unit index in the file.
 * The first window of a record carries {@code {"header": ..., "fasta_record": r}} as metadata. With
 * reverse complement on, each window is followed by its reverse complement (a derived document, 0
 * records). Quarantined: sequence data before any header ({@code no-header}), records without bases
 * ({@code empty-record}).
 *
 * <p>Splits ({@link ScannedSplitFormat}): a big file is read in byte ranges in two passes
 * ({@link FastaParts}); the units of the parts are exactly those of a whole-file read.
 */
public final class FastaReader implements ScannedSplitFormat<FastaParts.Part, FastaParts.Start> {
  private static final long serialVersionUID = 2L;
  /** Header bytes kept (the rest of a longer header is dropped). */
  static final int MAX_HEADER = 4096;

  private final int window;
  private final int stride;
  private final boolean reverseComplement;

  public FastaReader(int window, int stride, boolean reverseComplement) {
    if (window < 1 || stride < 1 || stride > window) {
      throw new IllegalArgumentException("need 1 <= stride <= window, got window " + window + ", stride " + stride);
    }
    this.window = window;
    this.stride = stride;
    this.reverseComplement = reverseComplement;
  }

  @Override
  public Units open(InputStream in) {
    return new Reader(in, 0, Long.MAX_VALUE, new FastaParts.Start(-1, -1, null, 0, 0, -1));
  }

  @Override
  public FastaParts.Part scan(RangeInput file, long start, long end) throws IOException {
    return FastaParts.scan(file, start, end);
  }

  @Override
  public List<FastaParts.Start> starts(List<FastaParts.Part> parts) {
    return FastaParts.starts(parts);
  }

  @Override
  public Units openSplit(RangeInput file, long start, long end, FastaParts.Start from) throws IOException {
    long a = FastaParts.lineStart(file, start);
    long b = FastaParts.lineStart(file, end);
    if (a >= b) {
      return new QueuedUnits() { // no line starts in the part
        @Override
        protected boolean advance() {
          return false;
        }

        @Override
        public long position() {
          return a;
        }
      };
    }
    return new Reader(file.openAt(a), a, b, from);
  }

  /**
   * Reads from byte {@code first} (a line start) in state {@code from}, owning the units that start
   * before byte {@code end} (a line start; {@code Long.MAX_VALUE} for a whole file): it reads past
   * {@code end} only to finish the windows it owns, or to see whether a record it owns has bases.
   */
  private final class Reader extends QueuedUnits {
    private final InputStream in;
    private final byte[] buf = new byte[1 << 16];
    private int pos;
    private int limit;
    private long consumed;
    private final long first;
    private final long end;
    private final byte[] bases = new byte[window];
    private int n;
    /** Base index (in the record) of {@code bases[0]}: the start of the window being filled. */
    private long windowStart;
    /** Bases of the current record read so far (counted from the record's start). */
    private long baseIndex;
    /** Index of the record's first base at or after {@code end}: windows from there on are not owned. */
    private long ownedBelow = Long.MAX_VALUE;
    private long recordOffset = -1;
    private long fastaRecord;
    private String header;
    private long headerlessOffset = -1;
    private long headerlessBytes;
    private final long headerlessTotal;
    private boolean atLineStart = true;

    Reader(InputStream in, long first, long end, FastaParts.Start from) {
      this.in = in;
      this.first = first;
      this.end = end;
      this.consumed = first;
      this.fastaRecord = from.fastaRecord();
      this.headerlessTotal = from.headerlessTotal();
      this.headerlessBytes = from.headerlessBefore();
      if (from.inRecord()) {
        recordOffset = from.recordOffset();
        header = from.header();
        baseIndex = from.bases();
        windowStart = (baseIndex + stride - 1) / stride * stride; // the first window starting in this part
      }
    }

    private int read() {
      if (pos == limit) {
        try {
          int r = in.read(buf);
          if (r <= 0) {
            return -1;
          }
          pos = 0;
          limit = r;
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      consumed++;
      return buf[pos++] & 0xff;
    }

    @Override
    protected boolean advance() {
      int c;
      while ((c = read()) >= 0) {
        long at = consumed - 1;
        if (atLineStart && c == '>') {
          endRecord();
          if (at >= end) {
            return false;
          }
          startRecord(at);
          return true;
        }
        atLineStart = c == '\n';
        if (c == '\n' || c == '\r' || c == ' ' || c == '\t') {
          continue;
        }
        if (recordOffset < 0) {
          if (at >= end) {
            return false;
          }
          headerless(at);
          continue;
        }
        long index = baseIndex++;
        if (at >= end && ownedBelow == Long.MAX_VALUE) {
          ownedBelow = index;
        }
        if (windowStart >= ownedBelow) {
          return false; // the rest of the record belongs to the next parts
        }
        if (index < windowStart) {
          continue; // a base only windows of earlier parts cover
        }
        bases[n++] = (byte) c;
        if (n == window) {
          emitWindow();
          System.arraycopy(bases, stride, bases, 0, window - stride);
          n = window - stride;
          windowStart += stride;
          return windowStart < ownedBelow; // hand the window out before reading on
        }
      }
      endRecord();
      flushHeaderless();
      return false;
    }

    private void headerless(long at) {
      boolean firstOfFile = headerlessBytes == 0;
      headerlessBytes++;
      if (firstOfFile) {
        headerlessOffset = at; // this part owns the file's no-header unit
        if (headerlessTotal >= 0) {
          headerlessBytes = headerlessTotal; // counted by pass one: emit now (no unit comes before it)
          flushHeaderless();
        }
      }
    }

    private void startRecord(long offset) {
      flushHeaderless();
      recordOffset = offset;
      fastaRecord++;
      header = readHeader();
      n = 0;
      windowStart = 0;
      baseIndex = 0;
      ownedBelow = Long.MAX_VALUE;
      atLineStart = true;
    }

    private String readHeader() {
      byte[] h = new byte[256];
      int len = 0;
      int c;
      while ((c = read()) >= 0 && c != '\n') {
        if (len < MAX_HEADER) {
          if (len == h.length) {
            h = Arrays.copyOf(h, h.length * 2);
          }
          h[len++] = (byte) c;
        }
      }
      return FastaParts.header(h, len);
    }

    /**
     * A record ends: its last window holds what is left and is emitted if it has bases no earlier
     * window covered (and this part owns it); a record without bases is quarantined by its header's part.
     */
    private void endRecord() {
      if (recordOffset < 0) {
        return;
      }
      long length = baseIndex;
      boolean uncovered = windowStart == 0 ? length > 0 : length > windowStart - stride + window;
      if (uncovered && windowStart < ownedBelow) {
        emitWindow();
      } else if (length == 0 && recordOffset >= first) {
        emit(DocLine.quarantined(recordOffset, nextRecordNo(), (">" + header).getBytes(StandardCharsets.UTF_8),
            "empty-record: FASTA record " + fastaRecord + " has no bases"));
      }
      recordOffset = -1;
    }

    private void flushHeaderless() {
      if (headerlessOffset >= 0) {
        emit(DocLine.quarantined(headerlessOffset, nextRecordNo(), new byte[0],
            "no-header: " + headerlessBytes + " sequence bytes before any '>' header"));
      }
      headerlessOffset = -1;
    }

    private void emitWindow() {
      byte[] w = Arrays.copyOf(bases, n);
      String meta = windowStart > 0 ? null : Json.text(Json.object().put("header", header).put("fasta_record", fastaRecord));
      long offset = recordOffset + windowStart;
      emit(DocLine.document(offset, nextRecordNo(), w, 1, meta));
      if (reverseComplement) {
        emit(DocLine.document(offset, nextRecordNo(), NucleotideTokenizer.reverseComplement(w, 0, w.length), 0, null));
      }
    }

    @Override
    public long position() {
      return recordOffset < 0 ? consumed : recordOffset + windowStart;
    }
  }
}
