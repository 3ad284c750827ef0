package dev.sparseattn.datasets.read;

import dev.sparseattn.datasets.tokenize.NucleotideTokenizer;
import dev.sparseattn.datasets.read.DocLine;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

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
 */
public final class FastaReader implements RecordFormat {
  private static final long serialVersionUID = 1L;
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
    return new Reader(in);
  }

  private final class Reader extends QueuedUnits {
    private final InputStream in;
    private final byte[] buf = new byte[1 << 16];
    private int pos;
    private int limit;
    private long consumed;
    private final byte[] bases = new byte[window];
    private int n;
    private long windowStart;
    private long newBases;
    private boolean emittedInRecord;
    private long recordOffset = -1;
    private long fastaRecord = -1;
    private String header;
    private long headerlessOffset = -1;
    private long headerlessBytes;
    private boolean atLineStart = true;

    Reader(InputStream in) {
      this.in = in;
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
        if (atLineStart && c == '>') {
          endRecord();
          startRecord(consumed - 1);
          return true;
        }
        atLineStart = c == '\n';
        if (c == '\n' || c == '\r' || c == ' ' || c == '\t') {
          continue;
        }
        if (recordOffset < 0) {
          if (headerlessOffset < 0) {
            headerlessOffset = consumed - 1;
          }
          headerlessBytes++;
          continue;
        }
        bases[n++] = (byte) c;
        newBases++;
        if (n == window) {
          emitWindow();
          System.arraycopy(bases, stride, bases, 0, window - stride);
          n = window - stride;
          windowStart += stride;
          newBases = 0;
          return true; // hand the window out before reading on
        }
      }
      endRecord();
      flushHeaderless();
      return false;
    }

    private void startRecord(long offset) {
      flushHeaderless();
      recordOffset = offset;
      fastaRecord++;
      header = readHeader();
      n = 0;
      windowStart = 0;
      newBases = 0;
      emittedInRecord = false;
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
      if (len > 0 && h[len - 1] == '\r') {
        len--;
      }
      return new String(h, 0, len, StandardCharsets.UTF_8);
    }

    private void endRecord() {
      if (recordOffset < 0) {
        return;
      }
      if (newBases > 0) {
        emitWindow();
      } else if (!emittedInRecord) {
        emit(DocLine.quarantined(recordOffset, nextRecordNo(), (">" + header).getBytes(StandardCharsets.UTF_8),
            "empty-record: FASTA record " + fastaRecord + " has no bases"));
      }
      recordOffset = -1;
    }

    private void flushHeaderless() {
      if (headerlessBytes > 0) {
        emit(DocLine.quarantined(headerlessOffset, nextRecordNo(), new byte[0],
            "no-header: " + headerlessBytes + " sequence bytes before any '>' header"));
      }
      headerlessBytes = 0;
      headerlessOffset = -1;
    }

    private void emitWindow() {
      byte[] w = Arrays.copyOf(bases, n);
      String meta = emittedInRecord ? null : Json.text(Json.object().put("header", header).put("fasta_record", fastaRecord));
      long offset = recordOffset + windowStart;
      emit(DocLine.document(offset, nextRecordNo(), w, 1, meta));
      if (reverseComplement) {
        emit(DocLine.document(offset, nextRecordNo(), NucleotideTokenizer.reverseComplement(w, 0, w.length), 0, null));
      }
      emittedInRecord = true;
    }

    @Override
    public long position() {
      return recordOffset < 0 ? consumed : recordOffset + windowStart;
    }
  }
}
