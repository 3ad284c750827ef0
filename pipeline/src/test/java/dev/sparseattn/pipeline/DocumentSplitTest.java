package dev.sparseattn.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.manifest.Manifest;
import dev.sparseattn.datasets.manifest.Split;
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
 * no verse is cut between the splits.
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
      assertEquals(0, piece.size(), split + " ends with a whole verse");
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
}
