package dev.sparseattn.pipeline.quality;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.config.DataError;
import dev.sparseattn.datasets.manifest.Manifest;
import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.datasets.manifest.RecordAccounting;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.datasets.shard.ShardReader;
import dev.sparseattn.datasets.shard.ShardRow;
import dev.sparseattn.pipeline.PrepareCorpus;
import dev.sparseattn.pipeline.TestSpark;
import dev.sparseattn.pipeline.prepare.PrepareResult;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nothing lost: a directory of good and bad text files (invalid UTF-8, binary garbage, an empty file,
 * a truncated gzip) prepares without failing; every line is emitted or quarantined with its source,
 * offset and reason, and the manifest's counts add up. Strict mode fails on the first bad record.
 */
class QuarantineTest {
  @TempDir static Path tmp;
  static SparkSession spark;
  static Path in;
  static List<String> gzLines = new ArrayList<>();
  static PrepareResult result;

  @BeforeAll
  static void setUp() throws IOException {
    spark = TestSpark.start("QuarantineTest");
    in = tmp.resolve("in");
    Files.createDirectories(in);
    Files.writeString(in.resolve("a-good.txt"), "one\ntwo\nthree\nfour\nfive\n");
    ByteArrayOutputStream latin1 = new ByteArrayOutputStream();
    latin1.write("ok line\n".getBytes(StandardCharsets.UTF_8));
    latin1.write("caf\u00e9 au lait, latin-1\n".getBytes(StandardCharsets.ISO_8859_1));
    Files.write(in.resolve("b-latin1.txt"), latin1.toByteArray());
    Files.write(in.resolve("c-garbage.txt"), garbage());
    Files.write(in.resolve("d-empty.txt"), new byte[0]);
    Files.write(in.resolve("e-truncated.txt.gz"), truncatedGzip());
    result = PrepareCorpus.run(TestSpark.config(in.toUri().toString(), tmp.resolve("out/q").toUri().toString(),
        "seq-len = 65536", "validation-fraction = 0"), spark);
  }

  @AfterAll
  static void tearDown() {
    TestSpark.stop(spark);
  }

  /** Two lines of binary: random bytes with NULs, then random high bytes (not UTF-8, no NUL). */
  static byte[] garbage() {
    Random r = new Random(42);
    byte[] a = new byte[300];
    r.nextBytes(a);
    for (int i = 0; i < a.length; i++) {
      if (a[i] == '\n' || a[i] == '\r') {
        a[i] = 0;
      }
    }
    a[17] = 0;
    byte[] b = new byte[200];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) (0x80 + r.nextInt(0x40)); // continuation bytes only: never valid UTF-8
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(a);
    out.write('\n');
    out.writeBytes(b);
    out.write('\n');
    return out.toByteArray();
  }

  /** 2,000 numbered lines, gzip-compressed, cut to half of the compressed bytes. */
  static byte[] truncatedGzip() throws IOException {
    ByteArrayOutputStream full = new ByteArrayOutputStream();
    try (OutputStream gz = new GZIPOutputStream(full)) {
      Random r = new Random(7);
      for (int i = 0; i < 2000; i++) {
        String line = "line " + i + " " + Long.toHexString(r.nextLong()) + Long.toHexString(r.nextLong());
        gzLines.add(line);
        gz.write((line + "\n").getBytes(StandardCharsets.UTF_8));
      }
    }
    byte[] all = full.toByteArray();
    return Arrays.copyOf(all, all.length / 2);
  }

  private static List<Row> quarantine(PrepareResult r) {
    List<Row> rows = new ArrayList<>(spark.read().json(r.output() + "/" + RecordAccounting.QUARANTINE_DIR)
        .select("source", "record", "offset", "reason", "detail", "sample").collectAsList());
    rows.sort((x, y) -> (x.getString(0) + x.getLong(2)).compareTo(y.getString(0) + y.getLong(2)));
    return rows;
  }

  /** The decoded documents of the train split, in order (EOS-separated). */
  private static List<String> documents(PrepareResult r) throws IOException {
    String stream = stream(r);
    return List.of(stream.split("\n", -1)).subList(0, (int) r.manifest().documents());
  }

  /** The train split's token stream as text, EOS as a newline. */
  private static String stream(PrepareResult r) throws IOException {
    PreparedDataset data = PreparedDataset.open(r.output(), new Configuration());
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    for (org.apache.hadoop.fs.Path shard : data.shardPaths(Split.TRAIN)) {
      try (ShardReader reader = data.openShard(shard)) {
        for (ShardRow row; (row = reader.read()) != null; ) {
          for (int j = 0; j < row.nTokens(); j++) { // seq-len is large: one row per chunk
            stream.write(row.tokens()[j] == 257 ? '\n' : row.tokens()[j]);
          }
        }
      }
    }
    return stream.toString(StandardCharsets.UTF_8);
  }

  @Test
  void everyLineIsEmittedOrQuarantinedAndTheCountsAddUp() throws IOException {
    Manifest m = result.manifest();
    RecordAccounting acc = m.records();
    assertEquals("line", acc.unit());
    assertEquals("text", m.format());
    assertEquals(Map.of("binary", 2L, "invalid-utf8", 1L, "empty-file", 1L, "truncated", 1L), acc.byReason());
    assertEquals(5, acc.quarantined());
    assertEquals(acc.read(), acc.emitted() + acc.quarantined());
    assertEquals(m.documents(), acc.emitted(), "one document per emitted line");

    // What was emitted from the truncated gzip is a prefix of its lines, complete lines only.
    List<String> docs = documents(result);
    List<String> fromGz = docs.subList(6, docs.size());
    assertEquals(List.of("one", "two", "three", "four", "five", "ok line"), docs.subList(0, 6));
    assertTrue(fromGz.size() > 100 && fromGz.size() < 2000, "lines before the cut: " + fromGz.size());
    assertEquals(gzLines.subList(0, fromGz.size()), fromGz);
    assertEquals(6 + fromGz.size(), acc.emitted());
    assertEquals(acc.read(), 6 + 1 + 2 + 1 + fromGz.size() + 1, "5 + 2 + 2 + empty + gz lines + truncation");

    String summary = result.summary();
    assertTrue(summary.contains(acc.read() + " line(s) read = " + acc.emitted() + " emitted + 5 quarantined"), summary);
    assertTrue(summary.contains("{binary=2, empty-file=1, invalid-utf8=1, truncated=1}"), summary);
  }

  @Test
  void theQuarantineTableNamesSourceOffsetAndReason() {
    List<Row> rows = quarantine(result);
    assertEquals(5, rows.size());
    Row latin1 = rows.get(0);
    assertTrue(latin1.getString(0).endsWith("/in/b-latin1.txt"), latin1.getString(0));
    assertEquals(8, latin1.getLong(2), "the second line starts after 'ok line\\n'");
    assertEquals("invalid-utf8", latin1.getString(3));
    assertEquals("invalid-utf8: malformed sequence at byte 3", latin1.getString(4));
    assertTrue(latin1.getString(5).startsWith("caf\uFFFD au lait"), latin1.getString(5));

    assertEquals("binary", rows.get(1).getString(3));
    assertEquals(0, rows.get(1).getLong(2));
    byte[] garbage = garbage();
    int nul = 0;
    while (garbage[nul] != 0) {
      nul++;
    }
    assertTrue(nul <= 17);
    assertEquals("binary: NUL byte at " + nul, rows.get(1).getString(4));
    assertEquals("binary", rows.get(2).getString(3));
    assertEquals(301, rows.get(2).getLong(2));
    assertEquals("binary: 200 of 200 bytes are not UTF-8", rows.get(2).getString(4));

    assertTrue(rows.get(3).getString(0).endsWith("/in/d-empty.txt"));
    assertEquals("empty-file", rows.get(3).getString(3));
    assertTrue(rows.get(4).getString(0).endsWith("/in/e-truncated.txt.gz"));
    assertEquals("truncated", rows.get(4).getString(3));
    assertTrue(rows.get(4).getString(4).contains("EOFException"), rows.get(4).getString(4));
  }

  @Test
  void replacePolicyRepairsInvalidUtf8AndKeepsQuarantiningBinary() throws IOException {
    PrepareResult r = PrepareCorpus.run(TestSpark.config(in.toUri().toString(),
        tmp.resolve("out/replace").toUri().toString(), "seq-len = 65536", "validation-fraction = 0",
        "invalid-utf8 = replace"), spark);
    RecordAccounting acc = r.manifest().records();
    assertEquals(Map.of("binary", 2L, "empty-file", 1L, "truncated", 1L), acc.byReason());
    assertEquals(1, acc.repaired());
    assertEquals(result.manifest().records().emitted() + 1, acc.emitted());
    assertEquals("caf\uFFFD au lait, latin-1", documents(r).get(6));
  }

  @Test
  void strictModeFailsOnTheFirstBadRecordWithAClearMessage() {
    Path dir = tmp.resolve("strict");
    DataError e = assertThrows(DataError.class, () -> {
      Files.createDirectories(dir);
      Files.copy(in.resolve("a-good.txt"), dir.resolve("a-good.txt"));
      Files.copy(in.resolve("b-latin1.txt"), dir.resolve("b-latin1.txt"));
      PrepareCorpus.run(TestSpark.config(dir.toUri().toString(), tmp.resolve("out/strict").toUri().toString(),
          "seq-len = 65536", "strict = true"), spark);
    });
    assertTrue(e.getMessage().startsWith("strict mode: bad record in file:"), e.getMessage());
    assertTrue(e.getMessage().contains("b-latin1.txt at offset 8: invalid-utf8: malformed sequence at byte 3"),
        e.getMessage());
    assertFalse(Files.exists(tmp.resolve("out/strict/manifest.json")));
  }

  @Test
  void fileDocumentsQuarantineTruncatedAndEmptyFilesWhole() throws IOException {
    PrepareResult r = PrepareCorpus.run(TestSpark.config(in.toUri().toString(),
        tmp.resolve("out/files").toUri().toString(), "document = file", "seq-len = 65536", "validation-fraction = 0"),
        spark);
    RecordAccounting acc = r.manifest().records();
    assertEquals("file", acc.unit());
    assertEquals(5, acc.read());
    assertEquals(Map.of("binary", 1L, "empty-file", 1L, "truncated", 1L, "invalid-utf8", 1L), acc.byReason());
    assertEquals(1, acc.emitted());
    assertEquals("one\ntwo\nthree\nfour\nfive\n\n", stream(r), "the good file's exact bytes, then EOS");
  }

  @Test
  void jsonLinesAndParagraphsGoThroughTheSameChecks() throws IOException {
    Path dir = tmp.resolve("jsonl");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("a.jsonl"), "{\"text\":\"first\"}\n{\"text\":\"nul\\u0000inside\"}\n"
        + "{\"title\":\"no text\"}\n{broken\n{\"text\":\"second\"}\n");
    PrepareResult r = PrepareCorpus.run(TestSpark.config(dir.toUri().toString(),
        tmp.resolve("out/jsonl").toUri().toString(), "format = jsonl", "seq-len = 65536", "validation-fraction = 0"),
        spark);
    assertEquals(Map.of("binary", 1L, "missing-field", 1L, "malformed-json", 1L), r.manifest().records().byReason());
    assertEquals(List.of("first", "second"), documents(r));
    assertEquals("line", r.manifest().document());

    Path para = tmp.resolve("para");
    Files.createDirectories(para);
    Files.writeString(para.resolve("p.txt"), "Genesis 1\nIn the beginning\n\nGenesis 2\nThus the heavens\n");
    Files.write(para.resolve("q.txt"), new byte[0]);
    PrepareResult p = PrepareCorpus.run(TestSpark.config(para.toUri().toString(),
        tmp.resolve("out/para").toUri().toString(), "document = paragraph", "seq-len = 65536",
        "validation-fraction = 0"), spark);
    assertEquals(new RecordAccounting("paragraph", 3, 2, 1, 0, Map.of("empty-file", 1L)), p.manifest().records());
    assertEquals("Genesis 1\nIn the beginning\nGenesis 2\nThus the heavens\n", stream(p), "EOS decodes as newline");
  }

  @Test
  void onlyBadInputIsAClearDataErrorAfterQuarantining() throws IOException {
    Path dir = tmp.resolve("allbad");
    Files.createDirectories(dir);
    Files.write(dir.resolve("empty.txt"), new byte[0]);
    Files.write(dir.resolve("garbage.txt"), garbage());
    try (OutputStream gz = new GZIPOutputStream(Files.newOutputStream(dir.resolve("nothing.txt.gz")))) {
      gz.flush(); // a valid gzip stream of no bytes
    }
    DataError e = assertThrows(DataError.class, () -> PrepareCorpus.run(TestSpark.config(dir.toUri().toString(),
        tmp.resolve("out/allbad").toUri().toString(), "seq-len = 65536"), spark));
    assertTrue(e.getMessage().startsWith("the inputs hold no documents: 4 record(s) read, 4 quarantined"
        + " {binary=2, empty-file=2}"), e.getMessage());
    assertTrue(Files.exists(tmp.resolve("out/allbad/quarantine")));
  }
}
