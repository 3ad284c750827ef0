package dev.sparseattn.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.ZstdOutputStream;
import dev.sparseattn.datasets.manifest.Manifest;
import dev.sparseattn.datasets.manifest.RecordAccounting;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.pipeline.prepare.PrepareResult;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Zstandard-compressed inputs ({@code .zst}, written here with zstd-jni): JSON lines and text lines
 * prepare to the same shards as the plain files; a truncated {@code .zst} is read up to the cut and
 * ends with one {@code truncated} record in the quarantine, and the accounting adds up.
 */
class ZstdInputTest {
  @TempDir static Path tmp;
  static SparkSession spark;
  static byte[] jsonl;

  @BeforeAll
  static void setUp() {
    spark = TestSpark.start("ZstdInputTest");
    jsonl = lines(3000, 4);
  }

  private static byte[] lines(int n, long seed) {
    Random r = new Random(seed);
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < n; i++) {
      s.append("{\"text\":\"line ").append(i).append(' ').append(Long.toHexString(r.nextLong())).append("\"}\n");
    }
    return s.toString().getBytes(StandardCharsets.UTF_8);
  }

  @AfterAll
  static void tearDown() {
    TestSpark.stop(spark);
  }

  @Test
  void zstdJsonLinesAndTextLinesGiveThePlainFilesShards() throws IOException {
    for (String[] format : new String[][] {{"format = jsonl"}, {"format = text", "document = line"}}) {
      Path plain = write("plain-" + format.length + ".jsonl", jsonl);
      Path zst = write("zst-" + format.length + ".jsonl.zst", zstd(jsonl));
      Manifest a = prepare(plain, format).manifest();
      Manifest b = prepare(zst, format).manifest();
      assertEquals(3000, a.records().emitted());
      for (Split s : Split.values()) {
        assertEquals(a.split(s), b.split(s), Arrays.toString(format) + " " + s + ": counts and shards (sha256)");
      }
      assertEquals(a.records(), b.records());
    }
  }

  @Test
  void aTruncatedZstdFileIsReadToTheCutAndQuarantinedThere() throws IOException {
    byte[] z = zstd(lines(30_000, 5)); // 1 MB of distinct lines: several zstd blocks, the first ones before the cut
    Path cut = write("cut.jsonl.zst", Arrays.copyOf(z, z.length / 2));
    PrepareResult r = prepare(cut, new String[] {"format = jsonl"});
    RecordAccounting acc = r.manifest().records();
    assertTrue(acc.consistent(), acc.toString());
    assertEquals(Map.of("truncated", 1L), acc.byReason());
    assertTrue(acc.emitted() > 5000 && acc.emitted() < 30000, "emitted before the cut: " + acc.emitted());
    String quarantine = Files.readString(Files.list(Path.of(java.net.URI.create(r.output() + "/quarantine")))
        .filter(p -> p.getFileName().toString().endsWith(".jsonl")).findFirst().orElseThrow());
    assertTrue(quarantine.contains("\"reason\":\"truncated\""), quarantine);
  }

  private static PrepareResult prepare(Path in, String[] format) throws IOException {
    String[] keys = Arrays.copyOf(format, format.length + 2);
    keys[format.length] = "seq-len = 64";
    keys[format.length + 1] = "chunk-bytes = 32 KiB";
    return PrepareCorpus.run(TestSpark.config(in.toUri().toString(),
        tmp.resolve("out/" + in.getFileName()).toUri().toString(), keys), spark);
  }

  private static Path write(String name, byte[] bytes) throws IOException {
    Path p = tmp.resolve("in/" + name);
    Files.createDirectories(p.getParent());
    return Files.write(p, bytes);
  }

  private static byte[] zstd(byte[] bytes) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (OutputStream z = new ZstdOutputStream(out)) {
      z.write(bytes);
    }
    return out.toByteArray();
  }
}
