package dev.sparseattn.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.manifest.Manifest;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.datasets.shard.ShardRow;
import dev.sparseattn.datasets.testdata.RealData;
import dev.sparseattn.datasets.tokenize.ByteTokenizer;
import dev.sparseattn.pipeline.prepare.PrepareResult;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Text is split by document: on the real KJV fixture (1,000 verses, a document each, ~2,300 rows of 64
 * bytes, 30% held out), each split's rows, joined in seq_id order, are whole verses separated by EOS;
 * no verse is cut between the splits; with {@code document = chunk}, the same for blocks of verses.
 */
class DocumentSplitTest {
  @TempDir static Path tmp;
  static SparkSession spark;

  @BeforeAll
  static void setUp() {
    spark = TestSpark.start("DocumentSplitTest");
  }

  @AfterAll
  static void tearDown() {
    TestSpark.stop(spark);
  }

  @Test
  void noVerseHasRowsInBothSplits() throws IOException {
    Path kjv = RealData.KJV.fixture();
    String text;
    try (InputStream in = new GZIPInputStream(Files.newInputStream(kjv))) {
      text = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
    List<String> verses = text.lines().filter(l -> !l.isEmpty()).toList();
    assertEquals(1000, verses.size());
    PrepareResult r = PrepareCorpus.run(TestSpark.config(kjv.toUri().toString(), tmp.resolve("kjv").toUri().toString(),
        "seq-len = 64", "validation-fraction = 0.3", "chunk-bytes = 16 KiB"), spark);
    Manifest m = r.manifest();
    var data = TestCorpus.open(r.output(), new Configuration());
    Set<String> all = new HashSet<>(verses);
    List<String> seen = new ArrayList<>();
    for (Split split : List.of(Split.TRAIN, Split.VALIDATION)) {
      // Joined dropping each row's first id (the previous row's last), so a packing chunk's first verse
      // loses its first byte: at most one such verse per chunk.
      List<String> pieces = pieces(data, split);
      assertEquals(m.split(split).records(), pieces.size(), split + ": a piece per verse");
      long cut = 0;
      for (String p : pieces) {
        if (all.contains(p)) {
          seen.add(p);
        } else {
          String whole = verses.stream().filter(v -> v.substring(1).equals(p)).findFirst().orElse(null);
          assertTrue(whole != null, split + " holds a fragment that is no verse: '" + p + "'");
          seen.add(whole);
          cut++;
        }
      }
      assertTrue(cut <= m.chunks(), split + ": " + cut + " verses without their first byte, more than the "
          + m.chunks() + " packing chunks");
    }
    assertTrue(m.split(Split.VALIDATION).records() > 200, "about 30% held out: " + m.split(Split.VALIDATION).records());
    assertEquals(verses.stream().sorted().toList(), seen.stream().sorted().toList(), "every verse once, whole");
    assertTrue(m.splitRule().startsWith("by document"), m.splitRule());
  }

  /**
   * {@code document = chunk}: the verses starting in the same 2 KiB of the file are one document,
   * joined by newlines; each split's pieces between EOS ids are such blocks (a chunk's first block may
   * lose its first byte, as above), every block is in exactly one split, and the accounting counts lines.
   */
  @Test
  void chunkModeHoldsOutWholeBlocksOfVerses() throws IOException {
    Path kjv = RealData.KJV.fixture();
    byte[] file;
    try (InputStream in = new GZIPInputStream(Files.newInputStream(kjv))) {
      file = in.readAllBytes();
    }
    int chunkBytes = 2048;
    java.util.Map<Long, StringBuilder> blocks = new java.util.TreeMap<>();
    for (int start = 0, end; start < file.length; start = end + 1) {
      end = start;
      while (end < file.length && file[end] != '\n') {
        end++;
      }
      StringBuilder b = blocks.computeIfAbsent((long) start / chunkBytes, k -> new StringBuilder());
      b.append(b.length() == 0 ? "" : "\n").append(new String(file, start, end - start, StandardCharsets.ISO_8859_1));
    }
    List<String> expected = blocks.values().stream().map(StringBuilder::toString).toList();
    PrepareResult r = PrepareCorpus.run(TestSpark.config(kjv.toUri().toString(), tmp.resolve("kjv-chunk").toUri().toString(),
        "seq-len = 64", "validation-fraction = 0.3", "document = chunk", "chunk-bytes = 2 KiB"), spark);
    Manifest m = r.manifest();
    assertEquals("chunk", m.document());
    assertEquals(expected.size(), m.documents());
    assertEquals("line", m.records().unit());
    assertEquals(1000, m.records().read());
    assertEquals(1000, m.records().emitted());
    var data = TestCorpus.open(r.output(), new Configuration());
    List<String> seen = new ArrayList<>();
    for (Split split : List.of(Split.TRAIN, Split.VALIDATION)) {
      List<String> pieces = pieces(data, split);
      assertEquals(m.split(split).records(), pieces.size(), split + ": a piece per block");
      assertTrue(pieces.size() > 5, split + " holds several blocks: " + pieces.size());
      for (String p : pieces) {
        String whole = expected.stream().filter(b -> b.equals(p) || b.substring(1).equals(p)).findFirst().orElse(null);
        assertTrue(whole != null, split + " holds a piece that is no block of verses: '" + p + "'");
        seen.add(whole);
      }
    }
    assertEquals(expected.stream().sorted().toList(), seen.stream().sorted().toList(), "every block once, whole");
  }

  /**
   * A split's rows in seq_id order, each without its first id (the previous row's last), cut at EOS: the
   * documents, but a packing chunk's first one loses its first byte. The split ends with a whole document.
   */
  private static List<String> pieces(PreparedDataset data, Split split) throws IOException {
    ByteArrayOutputStream piece = new ByteArrayOutputStream();
    List<String> pieces = new ArrayList<>();
    for (ShardRow row : TestCorpus.rows(data, split)) {
      for (int j = 1; j < row.nTokens(); j++) {
        int id = row.tokens()[j];
        if (id == ByteTokenizer.EOS) {
          pieces.add(piece.toString(StandardCharsets.ISO_8859_1));
          piece.reset();
        } else {
          piece.write(id);
        }
      }
    }
    assertEquals(0, piece.size(), split + " ends with a whole document");
    return pieces;
  }
}
