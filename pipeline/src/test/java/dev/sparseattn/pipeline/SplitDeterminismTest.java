package dev.sparseattn.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.manifest.Manifest;
import dev.sparseattn.pipeline.prepare.PrepareResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One big input file read in splits ({@code prepare.split-size}) gives the same prepared dataset,
 * byte for byte (shards, manifest, quarantine and metadata tables), as the same file read whole by
 * one task: FASTQ with malformed records (one of them starting exactly on a split edge),
 * FASTA (windows overlapping across split edges, a header exactly on a split edge), JSON lines
 * and paragraph text, BGZF-compressed FASTQ and FASTA (split in compressed ranges), bzip2-compressed FASTQ,
 * FASTA, JSON lines, paragraphs and lines (the same dataset as the uncompressed file's, split edges on a bzip2
 * block's first byte and the next one; corrupt and truncated files quarantined); split sizes from 1 KiB to more than the file, split edges exactly on record
 * starts; on the local file system and on HDFS (a MiniDFSCluster with 64 KiB blocks).
 */
class SplitDeterminismTest {
  private static final String[] PACKING = {"seq-len = 64", "chunk-bytes = 16 KiB", "rows-per-shard = 500",
      "validation-fraction = 0.1"};
  private static final String WHOLE = "split-size = 1 GiB";

  @TempDir static java.nio.file.Path tmp;
  static SparkSession spark;
  static MiniDFSCluster hdfs;
  static int run;

  @BeforeAll
  static void setUp() throws IOException {
    spark = TestSpark.start("SplitDeterminismTest");
    Configuration dfsConf = new Configuration();
    dfsConf.setLong("dfs.blocksize", 64 << 10);
    dfsConf.setLong("dfs.namenode.fs-limits.min-block-size", 4096);
    dfsConf.setInt("dfs.replication", 1);
    hdfs = new MiniDFSCluster.Builder(dfsConf, tmp.resolve("hdfs").toFile()).numDataNodes(1).build();
    hdfs.waitActive();
  }

  @AfterAll
  static void tearDown() {
    TestSpark.stop(spark);
    if (hdfs != null) {
      hdfs.shutdown();
    }
  }

  @Test
  void fastqInSplitsIsTheWholeFileReadWithMalformedRecordsAtSplitEdges() throws IOException {
    Random r = new Random(11);
    StringBuilder s = new StringBuilder();
    List<Integer> badStarts = new ArrayList<>();
    List<Integer> goodStarts = new ArrayList<>();
    for (int i = 0; i < 1500; i++) {
      int n = 20 + r.nextInt(80);
      String seq = random(r, "ACGT", n);
      String qual = random(r, "!#+5@AI", n); // quality lines starting with '@' or '+'
      int kind = r.nextInt(25);
      (kind < 5 ? badStarts : goodStarts).add(s.length());
      switch (kind) {
        case 0 -> s.append("@r").append(i).append('\n').append(seq).append("\n+\n").append(qual, 1, n).append('\n');
        case 1 -> s.append("@r").append(i).append('\n').append(seq).append("\nnot a plus line\n");
        case 2 -> s.append("@r").append(i).append('\n');
        case 3 -> s.append("@r").append(i).append('\n').append(seq).append("\n+\n");
        case 4 -> s.append("stray line\n");
        default -> s.append("@r").append(i).append(" lane ").append(i % 7).append('\n').append(seq).append("\n+\n")
            .append(qual).append('\n');
      }
    }
    int badEdge = badStarts.stream().filter(x -> x >= 1024).findFirst().orElseThrow();
    int goodEdge = goodStarts.stream().filter(x -> x >= 1024).findFirst().orElseThrow();
    String[] fastq = {"format = fastq", "tokenizer = nucleotide", "fastq { headers = true, qualities = true }"};
    Map<String, byte[]> whole = assertSplitsAgree(s.toString(), "reads.fastq", fastq,
        List.of("1 KiB", "" + badEdge, "" + goodEdge, "1000000"), List.of("1 KiB", "40000"));
    String quarantine = quarantineOf(whole);
    for (String detail : List.of("quality-length: ", "outside a record", "third line of the record", "cut short")) {
      assertTrue(quarantine.contains(detail), detail + " in " + quarantine);
    }
  }

  @Test
  void fastaInSplitsKeepsEveryWindowsRecordOffsetAndStride() throws IOException {
    List<Integer> headers = new ArrayList<>();
    StringBuilder s = fasta(headers);
    int headerEdge = headers.stream().filter(x -> x >= 1024).findFirst().orElseThrow();
    String[] fasta = {"format = fasta", "tokenizer = nucleotide", "fasta { window = 48, stride = 40 }"};
    Map<String, byte[]> whole = assertSplitsAgree(s.toString(), "genome.fa", fasta,
        List.of("1 KiB", "" + headerEdge, "" + (headerEdge + 1), "1000000"), List.of("1 KiB", "40000"));
    String quarantine = quarantineOf(whole);
    for (String detail : List.of("no-header: 8 sequence bytes", "empty-record: FASTA record 4")) {
      assertTrue(quarantine.contains(detail), detail + " in " + quarantine);
    }
  }

  /** A FASTA file of a few long and many short records, some empty, after headerless bytes; header offsets into {@code headers}. */
  private static StringBuilder fasta(List<Integer> headers) {
    Random r = new Random(13);
    StringBuilder s = new StringBuilder("NNNN\nacgt\n"); // sequence before any header: quarantined
    for (int i = 0; i < 12; i++) {
      headers.add(s.length());
      s.append(">chr").append(i).append(" synthetic record ").append(i).append('\n');
      int n = i % 5 == 4 ? 0 : 500 + r.nextInt(i % 3 == 0 ? 9000 : 1500); // a few long records, some empty
      int line = 50 + r.nextInt(30);
      for (int j = 0; j < n; j++) {
        s.append("ACGTACGTacgtNRYK".charAt(r.nextInt(16)));
        if ((j + 1) % line == 0 || j == n - 1) {
          s.append('\n');
        }
      }
    }
    return s;
  }

  @Test
  void bgzfInSplitsIsTheWholeFileReadAndATruncatedOneIsQuarantined() throws IOException {
    Random r = new Random(14);
    StringBuilder fq = new StringBuilder();
    for (int i = 0; i < 1200; i++) {
      int n = 20 + r.nextInt(80);
      fq.append(i % 97 == 5 ? "stray line\n" : "").append("@r").append(i).append('\n').append(random(r, "ACGT", n))
          .append("\n+\n").append(random(r, "!#+5@AI", n)).append('\n');
    }
    String[] fastq = {"format = fastq", "tokenizer = nucleotide", "fastq { headers = true }"};
    byte[] fqz = bgzf(fq.toString(), 3000);
    assertSplitsAgree(fqz, "reads.fastq.gz", fastq, List.of("1 KiB", "7000"), List.of("1 KiB"));
    String[] fasta = {"format = fasta", "tokenizer = nucleotide", "fasta { window = 48, stride = 40 }"};
    assertSplitsAgree(bgzf(fasta(new ArrayList<>()).toString(), 2000), "genome.fa.gz", fasta, List.of("1 KiB", "3000"),
        List.of("1 KiB"));
    java.nio.file.Path cut = tmp.resolve("in/cut.fastq.gz");
    Files.write(cut, java.util.Arrays.copyOf(fqz, fqz.length - 5000));
    Map<String, byte[]> out = prepare(cut.toUri().toString(), fastq, "split-size = 1 KiB");
    assertTrue(quarantineOf(out).contains("truncated: "), quarantineOf(out));
  }

  @Test
  void bzip2InSplitsIsTheUncompressedFileReadAndBadFilesAreQuarantined() throws IOException {
    Random r = new Random(15);
    StringBuilder fq = new StringBuilder();
    StringBuilder json = new StringBuilder();
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 1600; i++) {
      int n = 20 + r.nextInt(80);
      fq.append(i % 97 == 5 ? "stray line\n" : "").append("@r").append(i).append('\n').append(random(r, "ACGT", n))
          .append("\n+\n").append(random(r, "!#+5@AI", n)).append('\n');
      String words = random(r, "abcdefgh ", 10 + r.nextInt(100));
      json.append(i % 50 == 7 ? "{broken\n" : "{\"id\":" + i + ",\"text\":\"" + words + "\"}\n");
      text.append(words).append(i % 3 == 0 ? "\n" : "\n\n");
    }
    String[] fastq = {"format = fastq", "tokenizer = nucleotide", "fastq { headers = true }"};
    byte[] fqz = bzip2(fq.toString());
    long block1 = dev.sparseattn.datasets.read.Bzip2.blocks(range(fqz), 5, 6)[0];
    assertTrue(block1 > 5 && block1 < fqz.length, "a second bzip2 block at " + block1);
    assertCompressedAgrees(fq.toString(), "reads.fastq", fqz, fastq, List.of("1 KiB", "" + block1, "" + (block1 + 1),
        "1000000"), List.of("7000"));
    String[] fasta = {"format = fasta", "tokenizer = nucleotide", "fasta { window = 48, stride = 40 }"};
    String genome = fasta(new ArrayList<>()).toString().repeat(3);
    assertCompressedAgrees(genome, "genome.fa", bzip2(genome), fasta, List.of("1 KiB", "5000"), List.of("3000"));
    assertCompressedAgrees(json.toString(), "docs.jsonl", bzip2(json.toString()), new String[] {"format = jsonl"},
        List.of("1 KiB"), List.of());
    assertCompressedAgrees(text.toString(), "docs.txt", bzip2(text.toString()),
        new String[] {"format = text", "document = paragraph"}, List.of("3000"), List.of());
    StringBuilder lines = new StringBuilder();
    String[] ends = {"\n", "\r\n", "\n\n", "\r"};
    for (int i = 0; i < 2500; i++) {
      lines.append(random(r, "abcdefgh ", 5 + r.nextInt(120))).append(ends[r.nextInt(ends.length)]);
    }
    assertCompressedAgrees(lines.toString(), "lines.txt", bzip2(lines.toString()), new String[] {"format = text"},
        List.of("1 KiB", "9000"), List.of("5000"));
    byte[] corrupt = fqz.clone();
    corrupt[(int) block1 + 3000] ^= 0x55;
    byte[] cut = java.util.Arrays.copyOf(fqz, fqz.length - 3000);
    for (byte[] bad : List.of(corrupt, cut)) {
      java.nio.file.Path file = tmp.resolve("in/bad" + run + ".fastq.bz2");
      Files.write(file, bad);
      Map<String, byte[]> out = prepare(file.toUri().toString(), fastq, "split-size = 1 KiB");
      assertTrue(quarantineOf(out).contains("truncated: "), quarantineOf(out));
    }
  }

  /**
   * The dataset prepared from {@code compressed} ({@code name} + ".bz2") in splits of each size, on
   * the local file system and HDFS, is byte for byte the one prepared from {@code content} uncompressed.
   */
  private static void assertCompressedAgrees(String content, String name, byte[] compressed, String[] format,
      List<String> localSizes, List<String> hdfsSizes) throws IOException {
    java.nio.file.Path plain = tmp.resolve("in/" + name);
    Files.createDirectories(plain.getParent());
    Files.write(plain, content.getBytes(StandardCharsets.UTF_8));
    java.nio.file.Path local = tmp.resolve("in/" + name + ".bz2");
    Files.write(local, compressed);
    FileSystem dfs = hdfs.getFileSystem();
    Path remote = new Path("/in/" + name + ".bz2");
    try (OutputStream out = dfs.create(remote)) {
      out.write(compressed);
    }
    String plainIn = plain.toUri().toString();
    Map<String, byte[]> reference = prepare(plainIn, format, WHOLE);
    assertSameFiles(reference, format, "1 GiB", plainIn, local.toUri().toString(), "file:" + local);
    for (String size : localSizes) {
      assertSameFiles(reference, format, size, plainIn, local.toUri().toString(), "file:" + local);
    }
    String remoteIn = dfs.getUri() + remote.toString();
    for (String size : hdfsSizes) {
      assertSameFiles(reference, format, size, plainIn, remoteIn, remoteIn);
    }
  }

  private static byte[] bzip2(String content) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    dev.sparseattn.datasets.read.Bzip2.write(content.getBytes(StandardCharsets.UTF_8), 1, out);
    return out.toByteArray();
  }

  private static dev.sparseattn.datasets.read.RangeInput range(byte[] bytes) {
    return new dev.sparseattn.datasets.read.RangeInput() {
      @Override
      public long length() {
        return bytes.length;
      }

      @Override
      public InputStream openAt(long position) {
        return new java.io.ByteArrayInputStream(bytes, (int) position, bytes.length - (int) position);
      }
    };
  }

  private static byte[] bgzf(String content, int blockBytes) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    dev.sparseattn.datasets.read.Bgzf.write(content.getBytes(StandardCharsets.UTF_8), blockBytes, out);
    return out.toByteArray();
  }

  @Test
  void jsonLinesAndParagraphsInSplitsAreTheWholeFileRead() throws IOException {
    Random r = new Random(12);
    StringBuilder json = new StringBuilder();
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 1500; i++) {
      String words = random(r, "abcdefgh ", 10 + r.nextInt(100));
      json.append(i % 50 == 7 ? "{broken\n" : "{\"id\":" + i + ",\"text\":\"" + words + "\"}\n");
      text.append(words).append(i % 3 == 0 ? "\n" : "\n\n");
    }
    assertSplitsAgree(json.toString(), "docs.jsonl", new String[] {"format = jsonl"}, List.of("1 KiB"), List.of("7000"));
    assertSplitsAgree(text.toString(), "docs.txt", new String[] {"format = text", "document = paragraph"},
        List.of("7000"), List.of("1 KiB"));
  }

  /**
   * Prepares {@code content} read whole (the reference) and in splits of each size, locally and on
   * HDFS, and asserts every output file is byte-identical to the reference's. Returns the reference.
   */
  private static Map<String, byte[]> assertSplitsAgree(String content, String name, String[] format,
      List<String> localSizes, List<String> hdfsSizes) throws IOException {
    return assertSplitsAgree(content.getBytes(StandardCharsets.UTF_8), name, format, localSizes, hdfsSizes);
  }

  private static Map<String, byte[]> assertSplitsAgree(byte[] bytes, String name, String[] format,
      List<String> localSizes, List<String> hdfsSizes) throws IOException {
    java.nio.file.Path local = tmp.resolve("in/" + name);
    Files.createDirectories(local.getParent());
    Files.write(local, bytes);
    FileSystem dfs = hdfs.getFileSystem();
    Path remote = new Path("/in/" + name);
    try (OutputStream out = dfs.create(remote)) {
      out.write(bytes);
    }
    String localIn = local.toUri().toString();
    String remoteIn = dfs.getUri() + remote.toString();
    Map<String, byte[]> whole = prepare(localIn, format, WHOLE);
    for (String size : localSizes) {
      assertSameFiles(whole, format, size, localIn, localIn, "file:" + local);
    }
    for (String size : hdfsSizes) {
      assertSameFiles(whole, format, size, localIn, remoteIn, remoteIn);
    }
    return whole;
  }

  /** The dataset prepared from {@code input} in splits of {@code size} has {@code whole}'s files and bytes. */
  private static void assertSameFiles(Map<String, byte[]> whole, String[] format, String size, String localIn,
      String input, String qualified) throws IOException {
    Map<String, byte[]> split = prepare(input, format, "split-size = " + size);
    assertEquals(whole.keySet(), split.keySet(), "files of the dataset, split size " + size + ", " + input);
    String localQualified = "file:" + localIn.substring("file://".length());
    for (String file : whole.keySet()) {
      String a = inputNeutral(whole.get(file), localIn, localQualified);
      String b = inputNeutral(split.get(file), input, qualified);
      assertEquals(a, b, file + " with split size " + size + " on " + input);
    }
  }

  /** Every file of the prepared dataset but its config copy, by relative path; paths made neutral. */
  private static Map<String, byte[]> prepare(String input, String[] format, String split) throws IOException {
    String output = tmp.resolve("out/" + run++).toUri().toString();
    List<String> keys = new ArrayList<>(List.of(PACKING));
    keys.addAll(List.of(format));
    keys.add(split);
    PrepareResult r = PrepareCorpus.run(TestSpark.config(input, output, keys.toArray(String[]::new)), spark);
    assertTrue(r.manifest().documents() > 100, "documents read: " + r.manifest().documents());
    Path dir = new Path(r.output());
    FileSystem fs = dir.getFileSystem(new Configuration());
    Map<String, byte[]> files = new TreeMap<>();
    RemoteIterator<LocatedFileStatus> it = fs.listFiles(dir, true);
    while (it.hasNext()) {
      Path p = it.next().getPath();
      String rel = p.toString().substring(fs.makeQualified(dir).toString().length() + 1);
      if (rel.equals("prepare.conf") || rel.endsWith(".crc")) {
        continue;
      }
      try (InputStream in = fs.open(p)) {
        byte[] b = in.readAllBytes();
        files.put(rel, rel.equals(Manifest.FILE_NAME) ? neutral(new String(b, StandardCharsets.UTF_8), output) : b);
      }
    }
    return files;
  }

  /** A file's bytes as text with the input's path (as given and as qualified) replaced by IN. */
  private static String inputNeutral(byte[] bytes, String given, String qualified) {
    return new String(bytes, StandardCharsets.ISO_8859_1).replace(given, "IN").replace(qualified, "IN");
  }

  /** The manifest without what must differ: the output location and the split size in its config copy. */
  private static byte[] neutral(String manifest, String output) {
    String s = manifest.replace(output, "OUT").replaceAll("\"split-size\" : \\d+", "\"split-size\" : S");
    assertEquals(1, s.split("\"split-size\" : S", -1).length - 1, "the manifest's config copy has the split size");
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String quarantineOf(Map<String, byte[]> files) {
    StringBuilder s = new StringBuilder();
    files.forEach((k, v) -> {
      if (k.startsWith("quarantine/")) {
        s.append(new String(v, StandardCharsets.UTF_8));
      }
    });
    return s.toString();
  }

  private static String random(Random r, String alphabet, int n) {
    StringBuilder b = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      b.append(alphabet.charAt(r.nextInt(alphabet.length())));
    }
    return b.toString();
  }
}
