package dev.sparseattn.datasets.read;

import dev.sparseattn.datasets.manifest.Split;
import java.io.Serializable;

/**
 * One unit read from an input file, in file order: a document to pack, or a quarantined record.
 *
 * <p>A document carries its position ({@code offset}: byte offset in the decompressed file for text,
 * base or row coordinate for the other formats; with {@code recordNo} it orders the units of a file),
 * its bytes (what the tokenizer encodes), how many input records it accounts for ({@code records}: 1
 * for a line; 0 for a reverse-complement copy or for a time-series window whose rows an earlier window
 * already counted) and optional metadata (a JSON object as text: a FASTA header, a window's scales).
 *
 * <p>A quarantined unit has a {@link #reason()} ({@code "code: detail"}), counts as one input record,
 * and its bytes are a short sample of the bad content for the quarantine table.
 */
public final class DocLine implements Serializable {
  private static final long serialVersionUID = 3L;

  private final long offset;
  private final long recordNo;
  private final byte[] bytes;
  private final int records;
  private final String reason;
  private final String meta;
  private final boolean repaired;
  private final Split split;
  /** The byte-range part of its file that read the unit (record numbers count from 0 within it), or -1. */
  private int part = -1;

  /** A document of one record at a byte offset (record number unknown). */
  public DocLine(long offset, byte[] bytes) {
    this(offset, -1, bytes, 1, null, null, false, null);
  }

  private DocLine(long offset, long recordNo, byte[] bytes, int records, String reason, String meta,
      boolean repaired, Split split) {
    this.offset = offset;
    this.recordNo = recordNo;
    this.bytes = bytes;
    this.records = records;
    this.reason = reason;
    this.meta = meta;
    this.repaired = repaired;
    this.split = split;
  }

  /** A document accounting for {@code records} input records, with optional metadata (JSON object text). */
  public static DocLine document(long offset, long recordNo, byte[] bytes, int records, String meta) {
    return new DocLine(offset, recordNo, bytes, records, null, meta, false, null);
  }

  /** A quarantined record: {@code reason} is {@code "code: detail"}, {@code sample} a few of its bytes. */
  public static DocLine quarantined(long offset, long recordNo, byte[] sample, String reason) {
    return new DocLine(offset, recordNo, sample, 1, reason, null, false, null);
  }

  /** This document with repaired bytes (e.g. invalid UTF-8 replaced). */
  public DocLine repairedAs(byte[] fixed) {
    return new DocLine(offset, recordNo, fixed, records, null, meta, true, split).inPart(part);
  }

  /** This unit quarantined for {@code why}, keeping a sample of its bytes. */
  public DocLine quarantine(String why) {
    return new DocLine(offset, recordNo, java.util.Arrays.copyOf(bytes, Math.min(bytes.length, 96)), 1, why, null, false,
        null).inPart(part);
  }

  /** This unit as read by byte-range part {@code part} (global part index), its record number counted within it. */
  public DocLine inPart(int part) {
    this.part = part;
    return this;
  }

  /** The byte-range part that read the unit ({@link #inPart}), or -1 when the record number is the file's. */
  public int part() {
    return part;
  }

  /** The record number in the file, given the records before each part ({@code partBases}), or -1. */
  public long recordNo(long[] partBases) {
    return part < 0 || recordNo < 0 ? recordNo : partBases[part] + recordNo;
  }

  public long offset() {
    return offset;
  }

  /** Index of the record within its file when the reader knows it, else -1. */
  public long recordNo() {
    return recordNo;
  }

  public byte[] bytes() {
    return bytes;
  }

  /** Input records this unit accounts for. */
  public int records() {
    return records;
  }

  /** Why the unit was quarantined, or {@code null} for a document. */
  public String reason() {
    return reason;
  }

  /** The reason's code (the part before the first colon). */
  public String reasonCode() {
    int colon = reason.indexOf(':');
    return colon < 0 ? reason : reason.substring(0, colon);
  }

  public boolean bad() {
    return reason != null;
  }

  /** Metadata as JSON object text, or {@code null}. */
  public String meta() {
    return meta;
  }

  public boolean repaired() {
    return repaired;
  }

  /**
   * The split the reader chose for this document (time series: by time), or {@code null} when the
   * packer draws it from the document's position ({@link SplitHash}).
   */
  public Split split() {
    return split;
  }

  /** This document assigned to {@code split} by its reader. */
  public DocLine inSplit(Split split) {
    return new DocLine(offset, recordNo, bytes, records, reason, meta, repaired, split).inPart(part);
  }

  /** File order: offset, then record number. */
  public static final java.util.Comparator<DocLine> ORDER =
      java.util.Comparator.comparingLong(DocLine::offset).thenComparingLong(DocLine::recordNo);
}
