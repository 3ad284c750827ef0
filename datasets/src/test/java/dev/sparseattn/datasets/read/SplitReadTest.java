package dev.sparseattn.datasets.read;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.read.DocLine;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Every split reader against the whole-file read of the same bytes: for split sizes from a few bytes
 * to more than the file, and for splits that start exactly on record boundaries (and one byte either
 * side), the splits' units concatenated are the whole-file units (offset, bytes, records, reason,
 * metadata) with record numbers counted from the split's start, in the same order.
 */
class SplitReadTest {

  @Test
  void fastqSplitsGiveTheWholeFileUnitsEvenAroundMalformedRecords() {
    String fq = fastq(new Random(3), 300, true);
    for (FastqReader reader : List.of(new FastqReader(true, true, false), new FastqReader(false, false, true))) {
      assertSplitsMatch(reader, fq);
    }
  }

  @Test
  void fastqQualityLinesStartingWithAtDoNotStartRecords() {
    String fq = "@r1\nACGT\n+\n@III\n@r2\nGGCA\n+r2\n@@@@\n@r3\nTT\n+\n@I\n";
    assertEquals(List.of("ACGT", "GGCA", "TT"),
        Units.read(new FastqReader(false, false, false), fq).stream().map(Units::text).toList());
    assertSplitsMatch(new FastqReader(false, false, false), fq);
  }

  @Test
  void aRecordCutShortByTheNextRecordIsQuarantinedAndTheNextOneRead() {
    String fq = "@r1\n@r2\nACGT\n+\nIIII\n@r3\nAC\n+\nII\n";
    List<DocLine> units = Units.read(new FastqReader(false, false, false), fq);
    assertEquals("malformed: record cut short by the next record after 1 line(s)", units.get(0).reason());
    assertEquals(List.of("ACGT", "AC"), units.subList(1, 3).stream().map(Units::text).toList());
    assertSplitsMatch(new FastqReader(false, false, false), fq);
  }

  @Test
  void jsonLinesSplitsGiveTheWholeFileUnits() {
    Random r = new Random(5);
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < 400; i++) {
      switch (r.nextInt(12)) {
        case 0 -> s.append("\n");
        case 1 -> s.append("{not json\n");
        case 2 -> s.append("{\"other\":1}\r\n");
        default -> s.append("{\"text\":\"doc ").append(i).append(" ").append("x".repeat(r.nextInt(60))).append("\"}\n");
      }
    }
    s.append("{\"text\":\"no newline at the end\"}");
    assertSplitsMatch(new JsonLinesReader("text"), s.toString());
  }

  @Test
  void paragraphSplitsGiveTheWholeFileUnits() {
    Random r = new Random(9);
    StringBuilder s = new StringBuilder(" \n\n");
    for (int i = 0; i < 200; i++) {
      int lines = 1 + r.nextInt(4);
      for (int j = 0; j < lines; j++) {
        s.append(j == 1 && r.nextInt(5) == 0 ? "\t  x\r\n" : "para " + i + " line " + j + " " + "w".repeat(r.nextInt(50)) + "\n");
      }
      s.append(switch (r.nextInt(4)) {
        case 0 -> "\n\n \t\n";
        case 1 -> " \r\n";
        case 2 -> "\t\n";
        default -> "\n";
      });
      if (r.nextInt(20) == 0) {
        s.append("y".repeat(300)).append("\n\n"); // over the 200-byte limit: quarantined
      }
    }
    assertSplitsMatch(new ParagraphReader(200), s.toString());
  }

  @Test
  void fastaSplitsKeepTheWindowsOfAWholeFileRead() {
    String fa = fasta(new Random(11), 30, 150);
    for (int[] ws : new int[][] {{16, 16}, {16, 5}, {50, 1}, {1, 1}}) {
      for (boolean rc : new boolean[] {false, true}) {
        assertScannedSplitsMatch(new FastaReader(ws[0], ws[1], rc), fa);
      }
    }
  }

  @Test
  void fastaEdgeCasesSplitLikeAWholeFile() {
    String fa = "ACGTNN\n  acg\n>empty\n\n\n>r1 desc\r\nACGTRYKM\r\nacgtn\r\n\n>r2\n>r3\nAC GT\tAC\n"
        + ">" + "h".repeat(4100) + "\nTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTT\nGG>notaheader\n>last";
    for (int[] ws : new int[][] {{4, 4}, {4, 3}, {5, 2}, {3, 1}}) {
      assertScannedSplitsMatch(new FastaReader(ws[0], ws[1], ws[1] == 2), fa);
    }
    assertScannedSplitsMatch(new FastaReader(4, 2, false), "\n\n>only\n" + "A".repeat(23));
  }

  /** Multi-line FASTA: a few long records and many short ones, lowercase and ambiguous bases, empty records. */
  static String fasta(Random r, int records, int maxBases) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < records; i++) {
      s.append('>').append("rec").append(i).append(r.nextBoolean() ? " some description" : "").append('\n');
      int n = r.nextInt(8) == 0 ? 0 : 1 + r.nextInt(r.nextInt(4) == 0 ? 10 * maxBases : maxBases);
      int line = 1 + r.nextInt(80);
      for (int j = 0; j < n; j++) {
        s.append("ACGTacgtNnRY".charAt(r.nextInt(12)));
        if ((j + 1) % line == 0 || j == n - 1) {
          s.append(r.nextInt(10) == 0 ? "\r\n" : "\n");
        }
      }
      if (r.nextInt(10) == 0) {
        s.append("\n");
      }
    }
    return s.toString();
  }

  /** FASTQ with valid records, and when {@code bad}, every kind of malformed one now and then. */
  static String fastq(Random r, int records, boolean bad) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < records; i++) {
      int n = 1 + r.nextInt(40);
      String seq = bases(r, n);
      String qual = quals(r, n);
      int kind = bad ? r.nextInt(14) : 13;
      switch (kind) {
        case 0 -> s.append("junk line\nmore junk\n");
        case 1 -> s.append("@r").append(i).append('\n').append(seq).append("\n+\n").append(qual, 0, Math.max(0, n - 1)).append('\n');
        case 2 -> s.append("@r").append(i).append('\n').append(seq).append("\nnot plus\n");
        case 3 -> s.append("@r").append(i).append('\n'); // cut short by the next record
        case 4 -> s.append("@r").append(i).append('\n').append(seq).append('\n');
        case 5 -> s.append("@r").append(i).append('\n').append(seq).append("\n+\n"); // no quality line
        default -> s.append("@r").append(i).append(" x\n").append(seq).append("\n+\n").append(qual).append('\n');
      }
    }
    return s.toString();
  }

  private static String bases(Random r, int n) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < n; i++) {
      b.append("ACGTN".charAt(r.nextInt(5)));
    }
    return b.toString();
  }

  private static String quals(Random r, int n) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < n; i++) {
      b.append((char) ('!' + r.nextInt(41))); // includes '@' (Phred 31) and '+' (Phred 10)
    }
    return b.toString();
  }

  /** Whole file vs. splits of many sizes, and splits cut at every record start (and one byte off). */
  static void assertSplitsMatch(SplittableFormat format, String content) {
    byte[] bytes = content.getBytes(StandardCharsets.ISO_8859_1);
    List<DocLine> whole = new ArrayList<>();
    format.open(new ByteArrayInputStream(bytes)).forEachRemaining(whole::add);
    assertTrue(whole.size() > 1);
    for (long size : new long[] {1, 2, 3, 7, 16, 61, 100, 257, 1000, 4096, bytes.length - 1, bytes.length,
        bytes.length + 1}) {
      List<Long> cuts = new ArrayList<>();
      for (long c = size; c < bytes.length; c += size) {
        cuts.add(c);
      }
      assertSame(whole, format, bytes, cuts, "split size " + size);
    }
    for (int shift = -1; shift <= 1; shift++) {
      List<Long> cuts = new ArrayList<>();
      for (DocLine d : whole) {
        long c = d.offset() + shift;
        if (c > 0 && c < bytes.length && (cuts.isEmpty() || cuts.get(cuts.size() - 1) < c)) {
          cuts.add(c);
        }
      }
      assertSame(whole, format, bytes, cuts, "cuts at record starts " + (shift == 0 ? "" : "shifted " + shift));
    }
  }

  /** As {@link #assertSplitsMatch}, for a two-pass format: pass one on every part, chained, then pass two. */
  static <P extends java.io.Serializable, S extends java.io.Serializable> void assertScannedSplitsMatch(
      ScannedSplitFormat<P, S> format, String content) {
    byte[] bytes = content.getBytes(StandardCharsets.ISO_8859_1);
    List<DocLine> whole = new ArrayList<>();
    format.open(new ByteArrayInputStream(bytes)).forEachRemaining(whole::add);
    assertTrue(whole.size() > 1);
    for (long size : new long[] {1, 2, 3, 7, 16, 61, 100, 257, 1000, 4096, bytes.length - 1, bytes.length,
        bytes.length + 1}) {
      List<Long> cuts = new ArrayList<>();
      for (long c = size; c < bytes.length; c += size) {
        cuts.add(c);
      }
      assertScannedSame(whole, format, bytes, cuts, "split size " + size);
    }
    for (int shift = -1; shift <= 1; shift++) {
      List<Long> cuts = new ArrayList<>();
      for (int i = 0; i < bytes.length; i++) {
        long c = i + shift;
        if (bytes[i] == '>' && c > 0 && c < bytes.length && (cuts.isEmpty() || cuts.get(cuts.size() - 1) < c)) {
          cuts.add(c);
        }
      }
      assertScannedSame(whole, format, bytes, cuts, "cuts at headers " + (shift == 0 ? "" : "shifted " + shift));
    }
  }

  private static <P extends java.io.Serializable, S extends java.io.Serializable> void assertScannedSame(
      List<DocLine> whole, ScannedSplitFormat<P, S> format, byte[] bytes, List<Long> cuts, String what) {
    List<Long> bounds = new ArrayList<>(List.of(0L));
    bounds.addAll(cuts);
    bounds.add((long) bytes.length);
    List<String> split = new ArrayList<>();
    long base = 0;
    try {
      List<P> parts = new ArrayList<>();
      for (int i = 0; i + 1 < bounds.size(); i++) {
        parts.add(format.scan(range(bytes), bounds.get(i), bounds.get(i + 1)));
      }
      List<S> starts = format.starts(parts);
      for (int i = 0; i + 1 < bounds.size(); i++) {
        RecordFormat.Units units = format.openSplit(range(bytes), bounds.get(i), bounds.get(i + 1), starts.get(i));
        long local = 0;
        while (units.hasNext()) {
          DocLine d = units.next();
          assertEquals(local++, d.recordNo(), what);
          split.add(describe(d, base + d.recordNo()));
        }
        base += local;
      }
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    List<String> expected = whole.stream().map(d -> describe(d, d.recordNo())).toList();
    assertEquals(String.join("\n", expected), String.join("\n", split), what);
  }

  private static void assertSame(List<DocLine> whole, SplittableFormat format, byte[] bytes, List<Long> cuts, String what) {
    List<Long> bounds = new ArrayList<>(List.of(0L));
    bounds.addAll(cuts);
    bounds.add((long) bytes.length);
    List<String> split = new ArrayList<>();
    long base = 0;
    try {
      for (int i = 0; i + 1 < bounds.size(); i++) {
        RecordFormat.Units units = format.openSplit(range(bytes), bounds.get(i), bounds.get(i + 1));
        long local = 0;
        while (units.hasNext()) {
          DocLine d = units.next();
          assertEquals(local++, d.recordNo(), what);
          split.add(describe(d, base + d.recordNo()));
        }
        base += local;
      }
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    List<String> expected = whole.stream().map(d -> describe(d, d.recordNo())).toList();
    assertEquals(String.join("\n", expected), String.join("\n", split), what);
  }

  private static String describe(DocLine d, long record) {
    return d.offset() + " #" + record + " x" + d.records() + " " + d.reason() + " " + d.meta() + " ["
        + new String(d.bytes(), StandardCharsets.ISO_8859_1) + "]";
  }

  static RangeInput range(byte[] bytes) {
    return new RangeInput() {
      @Override
      public long length() {
        return bytes.length;
      }

      @Override
      public InputStream openAt(long position) {
        return new ByteArrayInputStream(bytes, (int) position, bytes.length - (int) position);
      }
    };
  }
}
