package dev.sparseattn.datasets.read;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.sparseattn.datasets.testdata.RealData;
import dev.sparseattn.datasets.read.DocLine;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

public class FastaReaderTest {
  @Test
  void windowsWithStrideOverlapAndHeadersAsMetadata() {
    String fasta = ">seq1 first\nACGTA\nCGT\n>seq2\nac gt\r\nNN\n";
    List<DocLine> units = Units.read(new FastaReader(4, 3, false), fasta);
    assertEquals(List.of("ACGT", "TACG", "GT", "acgt", "tNN"), units.stream().map(Units::text).toList());
    assertEquals(List.of(0L, 3L, 6L, 22L, 25L), units.stream().map(DocLine::offset).toList());
    assertEquals(List.of(0L, 1L, 2L, 3L, 4L), units.stream().map(DocLine::recordNo).toList());
    assertEquals("{\"header\":\"seq1 first\",\"fasta_record\":0}", units.get(0).meta());
    assertNull(units.get(1).meta());
    assertEquals("{\"header\":\"seq2\",\"fasta_record\":1}", units.get(3).meta());
    assertEquals(5, units.stream().mapToInt(DocLine::records).sum());
  }

  @Test
  void headerlessDataAndEmptyRecordsAreQuarantined() {
    List<DocLine> units = Units.read(new FastaReader(10, 10, false), "ACGT\n>empty\n>ok\nAC\n");
    assertEquals(3, units.size());
    assertEquals("no-header: 4 sequence bytes before any '>' header", units.get(0).reason());
    assertEquals(0, units.get(0).offset());
    assertEquals("empty-record: FASTA record 0 has no bases", units.get(1).reason());
    assertEquals(5, units.get(1).offset());
    assertEquals(">empty", Units.text(units.get(1)));
    assertEquals("AC", Units.text(units.get(2)));
    assertEquals(12, units.get(2).offset());
    assertEquals(List.of(), Units.read(new FastaReader(10, 10, false), ""));
  }

  @Test
  void reverseComplementFollowsEachWindowAndCountsNoRecord() {
    List<DocLine> units = Units.read(new FastaReader(4, 4, true), ">r\nACGGTT\n");
    assertEquals(List.of("ACGG", "CCGT", "TT", "AA"), units.stream().map(Units::text).toList());
    assertEquals(List.of(1, 0, 1, 0), units.stream().map(DocLine::records).toList());
  }

  /** The first 100 kbp of the real genome (the fixture): windows cover it exactly, disjoint and overlapping. */
  @Test
  void streamsTheGenomeFixtureInWindows() throws Exception {
    assertWindowsCoverTheGenome(RealData.ECOLI.fixture(), 100_030);
  }

  /** The whole 4.9 Mbp genome, one record streamed in windows. */
  @Test
  @Tag("shared-data")
  void streamsTheWholeEcoliGenomeInWindows() throws Exception {
    assertWindowsCoverTheGenome(RealData.ECOLI.shared(), 4_938_920);
  }

  private static void assertWindowsCoverTheGenome(Path fna, int bases) throws Exception {
    byte[] genome = genome(fna);
    assertEquals(bases, genome.length);
    for (int[] ws : new int[][] {{1000, 1000}, {4096, 3000}}) {
      int w = ws[0];
      int s = ws[1];
      MessageDigest rebuilt = MessageDigest.getInstance("SHA-256");
      long windows = 0;
      long covered = 0;
      try (InputStream in = new GZIPInputStream(Files.newInputStream(fna))) {
        RecordFormat.Units units = new FastaReader(w, s, false).open(in);
        while (units.hasNext()) {
          DocLine d = units.next();
          long start = d.offset() - 0; // one record at byte 0: the offset is the first base's index
          assertEquals(windows * s, start);
          int fresh = (int) (start + d.bytes().length - covered);
          rebuilt.update(d.bytes(), d.bytes().length - fresh, fresh);
          covered += fresh;
          windows++;
        }
      }
      long full = (genome.length - w) / s + 1;
      long expected = full + ((full - 1) * s + w < genome.length ? 1 : 0);
      assertEquals(expected, windows, "windows of " + w + "/" + s);
      assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(genome), rebuilt.digest());
    }
  }

  /** The genome's bases, read independently (header line skipped, newlines dropped). */
  public static byte[] genome(Path fna) throws IOException {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(fna))) {
      byte[] all = in.readAllBytes();
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(all.length);
      int i = 0;
      while (all[i] != '\n') {
        i++;
      }
      for (; i < all.length; i++) {
        if (all[i] != '\n') {
          out.write(all[i]);
        }
      }
      return out.toByteArray();
    }
  }
}
