package dev.sparseattn.pipeline.read;

import dev.sparseattn.datasets.tokenize.NucleotideTokenizer;
import dev.sparseattn.pipeline.prepare.DocLine;
import java.nio.charset.StandardCharsets;

/**
 * FASTQ, streamed: four-line records ({@code @id}, bases, {@code +[id]}, qualities), one document per
 * read (its bases). Metadata, when asked for: the id line ({@code headers}) and the Phred+33 quality
 * string ({@code qualities}), written to the metadata table. With reverse complement on, each read is
 * followed by its reverse complement (a derived document, 0 records).
 *
 * <p>Quarantined, one unit each: lines that do not start a record (skipped up to the next {@code @}
 * line, as one {@code malformed} unit), a record whose third line is not a {@code +} line
 * ({@code malformed}), qualities of another length than the bases ({@code quality-length}), a record
 * cut by the end of the file ({@code incomplete-record}), lines over {@value #MAX_LINE} bytes
 * ({@code line-too-long}).
 */
public final class FastqReader implements RecordFormat {
  private static final long serialVersionUID = 1L;
  static final int MAX_LINE = 1 << 24;

  private final boolean headers;
  private final boolean qualities;
  private final boolean reverseComplement;

  public FastqReader(boolean headers, boolean qualities, boolean reverseComplement) {
    this.headers = headers;
    this.qualities = qualities;
    this.reverseComplement = reverseComplement;
  }

  @Override
  public Units open(java.io.InputStream in) {
    return new Reader(new ByteLines(in, MAX_LINE));
  }

  private final class Reader extends QueuedUnits {
    private final ByteLines lines;
    /** A line read ahead that starts the next record. */
    private boolean pushedBack;

    Reader(ByteLines lines) {
      this.lines = lines;
    }

    private boolean nextLine() {
      if (pushedBack) {
        pushedBack = false;
        return true;
      }
      return lines.next();
    }

    @Override
    protected boolean advance() {
      if (!nextLine()) {
        return false;
      }
      if (!lines.startsWith('@')) {
        long offset = lines.offset();
        byte[] sample = lines.copy();
        long skipped = 1;
        while (lines.next()) {
          if (lines.startsWith('@')) {
            pushedBack = true;
            break;
          }
          skipped++;
        }
        emit(DocLine.quarantined(offset, nextRecordNo(), sample,
            "malformed: " + skipped + " line(s) outside a record (expected '@')"));
        return true;
      }
      long offset = lines.offset();
      byte[] id = lines.copy();
      if (!lines.next()) {
        return incomplete(offset, id, "no sequence line");
      }
      byte[] seq = lines.copy();
      boolean tooLong = lines.truncated();
      if (!lines.next()) {
        return incomplete(offset, id, "no '+' line");
      }
      if (!lines.startsWith('+')) {
        pushedBack = lines.startsWith('@');
        emit(DocLine.quarantined(offset, nextRecordNo(), id, "malformed: third line of the record does not start with '+'"));
        return true;
      }
      if (!lines.next()) {
        return incomplete(offset, id, "no quality line");
      }
      tooLong |= lines.truncated();
      if (tooLong) {
        emit(DocLine.quarantined(offset, nextRecordNo(), id, "line-too-long: over " + MAX_LINE + " bytes"));
      } else if (lines.length() != seq.length) {
        emit(DocLine.quarantined(offset, nextRecordNo(), id,
            "quality-length: " + seq.length + " bases but " + lines.length() + " qualities"));
      } else {
        emit(DocLine.document(offset, nextRecordNo(), seq, 1, meta(id, lines.copy())));
        if (reverseComplement) {
          emit(DocLine.document(offset, nextRecordNo(), NucleotideTokenizer.reverseComplement(seq, 0, seq.length), 0,
              null));
        }
      }
      return true;
    }

    private boolean incomplete(long offset, byte[] id, String what) {
      emit(DocLine.quarantined(offset, nextRecordNo(), id, "incomplete-record: " + what + " before the end of the file"));
      return false;
    }

    private String meta(byte[] id, byte[] quals) {
      if (!headers && !qualities) {
        return null;
      }
      var o = Json.object();
      if (headers) {
        o.put("id", new String(id, 1, id.length - 1, StandardCharsets.UTF_8));
      }
      if (qualities) {
        o.put("qualities", new String(quals, StandardCharsets.ISO_8859_1));
      }
      return Json.text(o);
    }

    @Override
    public long position() {
      return lines.consumed();
    }
  }

  @Override
  public String toString() {
    return "FastqReader(headers=" + headers + ", qualities=" + qualities + ", rc=" + reverseComplement + ")";
  }
}
