package dev.sparseattn.datasets.read;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.sparseattn.datasets.testdata.RealData;
import dev.sparseattn.datasets.read.DocLine;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

class FastqReaderTest {
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  @Test
  void fourLineRecordsWithHeadersAndQualitiesAsMetadata() {
    String fq = "@r1 x\nACGT\n+\nII#!\n@r2\nGG\n+r2\n!!\n";
    List<DocLine> units = Units.read(new FastqReader(true, true, false), fq);
    assertEquals(List.of("ACGT", "GG"), units.stream().map(Units::text).toList());
    assertEquals(List.of(0L, 18L), units.stream().map(DocLine::offset).toList());
    assertEquals("{\"id\":\"r1 x\",\"qualities\":\"II#!\"}", units.get(0).meta());
    assertNull(Units.read(new FastqReader(false, false, false), fq).get(0).meta());
  }

  @Test
  void malformedRecordsAreQuarantinedAndReadingResumes() {
    String fq = "junk\nmore junk\n@r1\nACGT\n+\nIII\n@r2\nAC\nnot plus\n@r3\nTT\n+\nII\n@r4\nAC\n";
    List<DocLine> units = Units.read(new FastqReader(false, false, false), fq);
    assertEquals(5, units.size());
    assertEquals("malformed: 2 line(s) outside a record (expected '@')", units.get(0).reason());
    assertEquals("quality-length: 4 bases but 3 qualities", units.get(1).reason());
    assertEquals(15, units.get(1).offset());
    assertEquals("malformed: third line of the record does not start with '+'", units.get(2).reason());
    assertEquals("TT", Units.text(units.get(3)));
    assertEquals("incomplete-record: no '+' line before the end of the file", units.get(4).reason());
  }

  /** The real simulated lambda reads (the fixture's 2,000): well-formed records, lengths as in the file. */
  @Test
  void readsTheLambdaReadsFixture() throws Exception {
    assertReadsEveryRecord(RealData.LAMBDA_READS.fixture(), 2_000);
  }

  /** All 10,000 of them. */
  @Test
  @Tag("shared-data")
  void readsAllTheLambdaReads() throws Exception {
    assertReadsEveryRecord(RealData.LAMBDA_READS.shared(), 10_000);
  }

  private static void assertReadsEveryRecord(Path fq, long expectedReads) throws Exception {
    long reads = 0;
    long bases = 0;
    try (InputStream in = new GZIPInputStream(Files.newInputStream(fq))) {
      RecordFormat.Units units = new FastqReader(false, true, false).open(in);
      while (units.hasNext()) {
        DocLine d = units.next();
        assertNull(d.reason());
        String qualities = JSON.readTree(d.meta()).get("qualities").asText();
        assertEquals(d.bytes().length, qualities.length(), "one quality per base");
        reads++;
        bases += d.bytes().length;
      }
    }
    assertEquals(expectedReads, reads);
    assertEquals(expectedBases(fq), bases);
  }

  /** Sum of the second line of every 4-line record, counted independently. */
  private static long expectedBases(Path fq) throws Exception {
    try (var r = new java.io.BufferedReader(new java.io.InputStreamReader(
        new GZIPInputStream(Files.newInputStream(fq))))) {
      long sum = 0;
      int i = 0;
      for (String line; (line = r.readLine()) != null; i++) {
        if (i % 4 == 1) {
          sum += line.length();
        }
      }
      return sum;
    }
  }
}
