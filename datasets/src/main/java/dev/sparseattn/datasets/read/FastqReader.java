package dev.sparseattn.datasets.read;

import dev.sparseattn.datasets.tokenize.NucleotideTokenizer;
import dev.sparseattn.datasets.read.DocLine;
import java.nio.charset.StandardCharsets;

/**
 * FASTQ, streamed: four-line records ({@code @id}, bases, {@code +[id]}, qualities), one document per
 * read (its bases). Metadata, when asked for: the id line ({@code headers}) and the Phred+33 quality
 * string ({@code qualities}), written to the metadata table. With reverse complement on, each read is
 * followed by its reverse complement (a derived document, 0 records).
 *
 * <p>Quarantined, one unit each: lines that do not start a record (skipped up to the next {@code @}
 * line, as one {@code malformed} unit), a record whose third line is not a {@code +} line
 * ({@code malformed}), a record cut short by a sync point (below) among its next three lines
 * ({@code malformed}), qualities of another length than the bases ({@code quality-length}), a record
 * cut by the end of the file ({@code incomplete-record}), lines over {@value #MAX_LINE} bytes
 * ({@code line-too-long}).
 *
 * <p>Sync points and splits ({@link SplittableFormat}). A line is a sync point when it starts with
 * {@code @}, the line two further starts with {@code +} and the lines one and three further have the
 * same length: the rule Hadoop-BAM's {@code FastqInputFormat} resynchronises with (a quality line may
 * start with {@code @}, but the line two after it is a sequence, never a {@code +} line). The reader
 * starts a record at every sync point, whatever it was doing, so its units after a sync point do not
 * depend on anything before it. A split starts at the first sync point at or after its start offset
 * and stops at the first sync point at or after its end: the units of the file between the two are its
 * own, exactly as a whole-file read gives them, even around malformed records.
 */
public final class FastqReader implements SplittableFormat {
  private static final long serialVersionUID = 2L;
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
    return new Reader(new Lookahead(new ByteLines(in, MAX_LINE)), Long.MAX_VALUE);
  }

  @Override
  public Units openSplit(RangeInput file, long start, long end) throws java.io.IOException {
    long first = Resync.nextLineStart(file, start);
    Lookahead lines = new Lookahead(new ByteLines(file.openAt(first), MAX_LINE, first));
    if (start > 0) {
      while (lines.has(0) && !sync(lines, 0)) {
        lines.drop(1);
      }
    }
    return new Reader(lines, end);
  }

  /** Whether line {@code i} of the lookahead is a sync point. */
  static boolean sync(Lookahead lines, int i) {
    return lines.has(i + 3) && lines.startsWith(i, '@') && lines.startsWith(i + 2, '+')
        && lines.length(i + 1) == lines.length(i + 3);
  }

  private final class Reader extends QueuedUnits {
    private final Lookahead lines;
    private final long end;

    Reader(Lookahead lines, long end) {
      this.lines = lines;
      this.end = end;
    }

    @Override
    protected boolean advance() {
      if (!lines.has(0) || (lines.offset(0) >= end && sync(lines, 0))) {
        return false;
      }
      long offset = lines.offset(0);
      if (!lines.startsWith(0, '@')) {
        byte[] sample = lines.copy(0);
        long skipped = 0;
        do {
          lines.drop(1);
          skipped++;
        } while (lines.has(0) && !lines.startsWith(0, '@'));
        emit(DocLine.quarantined(offset, nextRecordNo(), sample,
            "malformed: " + skipped + " line(s) outside a record (expected '@')"));
        return true;
      }
      byte[] id = lines.copy(0);
      if (!lines.has(1)) {
        return incomplete(offset, id, "no sequence line");
      }
      if (sync(lines, 1)) {
        return cut(offset, id, 1);
      }
      if (!lines.has(2)) {
        return incomplete(offset, id, "no '+' line");
      }
      if (!lines.startsWith(2, '+')) {
        lines.drop(lines.startsWith(2, '@') ? 2 : 3);
        emit(DocLine.quarantined(offset, nextRecordNo(), id, "malformed: third line of the record does not start with '+'"));
        return true;
      }
      if (!lines.has(3)) {
        return incomplete(offset, id, "no quality line");
      }
      if (sync(lines, 3)) {
        return cut(offset, id, 3);
      }
      int bases = lines.length(1);
      if (lines.truncated(1) || lines.truncated(3)) {
        emit(DocLine.quarantined(offset, nextRecordNo(), id, "line-too-long: over " + MAX_LINE + " bytes"));
      } else if (lines.length(3) != bases) {
        emit(DocLine.quarantined(offset, nextRecordNo(), id,
            "quality-length: " + bases + " bases but " + lines.length(3) + " qualities"));
      } else {
        byte[] seq = lines.copy(1);
        emit(DocLine.document(offset, nextRecordNo(), seq, 1, meta(id, lines.copy(3))));
        if (reverseComplement) {
          emit(DocLine.document(offset, nextRecordNo(), NucleotideTokenizer.reverseComplement(seq, 0, seq.length), 0,
              null));
        }
      }
      lines.drop(4);
      return true;
    }

    private boolean cut(long offset, byte[] id, int kept) {
      lines.drop(kept);
      emit(DocLine.quarantined(offset, nextRecordNo(), id, "malformed: record cut short by the next record after "
          + kept + " line(s)"));
      return true;
    }

    private boolean incomplete(long offset, byte[] id, String what) {
      lines.drop(Integer.MAX_VALUE);
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
      return lines.has(0) ? lines.offset(0) : lines.consumed();
    }
  }

  @Override
  public String toString() {
    return "FastqReader(headers=" + headers + ", qualities=" + qualities + ", rc=" + reverseComplement + ")";
  }
}
