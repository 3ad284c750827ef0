package dev.sparseattn.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.manifest.Manifest;
import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.datasets.manifest.ShardInfo;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.datasets.manifest.SplitInfo;
import dev.sparseattn.datasets.shard.ShardRow;
import dev.sparseattn.datasets.testdata.RealData;
import dev.sparseattn.datasets.tokenize.ByteTokenizer;
import dev.sparseattn.pipeline.prepare.PrepareResult;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.io.compress.BZip2Codec;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PrepareCorpus end to end on Spark local[2], on the local file system and on a MiniDFSCluster. The
 * corpus is the bundled sample (12,000 verses, 1.8 MB) written as plain text, with chunks of 256 KiB
 * (8 chunks) and HDFS blocks of 256 KiB (8 input splits on HDFS, 1 locally).
 */
public class PrepareCorpusTest {
  private static final int SEQ_LEN = 128;
  private static final long CHUNK = 256 << 10;
  private static final String[] PACKING = {
      "seq-len = " + SEQ_LEN, "chunk-bytes = " + CHUNK, "rows-per-shard = 2048", "validation-fraction = 0.1"};

  @TempDir static java.nio.file.Path tmp;
  static SparkSession spark;
  static MiniDFSCluster hdfs;
  static Configuration conf;
  static byte[] text;
  static List<byte[]> lines;
  static String plainFile;
  /** The baseline: plain text on file://. */
  static PrepareResult local;

  @BeforeAll
  static void setUp() throws IOException {
    spark = SparkSession.builder().master("local[2]").appName("PrepareCorpusTest")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate();
    conf = spark.sparkContext().hadoopConfiguration();
    conf.set("dfs.replication", "1");

    text = TestCorpus.sampleBytes();
    lines = TestCorpus.lines(text);
    java.nio.file.Path plain = tmp.resolve("in/kjv-sample.txt");
    Files.createDirectories(plain.getParent());
    Files.write(plain, text);
    plainFile = plain.toUri().toString();

    Configuration dfsConf = new Configuration();
    dfsConf.setLong("dfs.blocksize", 256 << 10);
    dfsConf.setLong("dfs.namenode.fs-limits.min-block-size", 4096);
    dfsConf.setInt("dfs.replication", 1);
    hdfs = new MiniDFSCluster.Builder(dfsConf, tmp.resolve("hdfs").toFile()).numDataNodes(1).build();
    hdfs.waitActive();

    local = PrepareCorpus.run(TestCorpus.config(plainFile, tmp.resolve("out/local").toUri().toString(), PACKING), spark);
  }

  @AfterAll
  static void tearDown() {
    if (spark != null) {
      spark.stop();
      SparkSession.clearActiveSession();
      SparkSession.clearDefaultSession();
    }
    if (hdfs != null) {
      hdfs.shutdown();
    }
  }

  private static String hdfsUri(String path) throws IOException {
    return hdfs.getFileSystem().getUri() + path;
  }

  /** Shard lists must agree on rows, bytes and checksums; the rest of the split counts too. */
  private static void assertSameData(Manifest expected, Manifest actual) {
    for (Split s : Split.values()) {
      assertEquals(expected.split(s), actual.split(s), s + ": counts, histogram and shards (incl. sha256)");
    }
    assertEquals(expected.documents(), actual.documents());
    assertEquals(expected.streamTokens(), actual.streamTokens());
    assertEquals(expected.chunks(), actual.chunks());
  }

  // (a) file:// and hdfs:// give byte-identical shards, whatever the input splits.
  @Test
  void hdfsGivesTheSameShardsAsTheLocalFileSystem() throws IOException {
    FileSystem fs = hdfs.getFileSystem();
    Path input = new Path("/corpus/kjv-sample.txt");
    try (OutputStream out = fs.create(input)) {
      out.write(text);
    }
    assertTrue(fs.getFileBlockLocations(fs.getFileStatus(input), 0, text.length).length >= 7,
        "the HDFS copy spans several blocks, hence several input splits");

    String output = hdfsUri("/datasets/kjv");
    PrepareResult r = PrepareCorpus.run(TestCorpus.config(hdfsUri(input.toString()), output, PACKING), spark);
    assertTrue(r.output().startsWith("hdfs://"), r.output());
    assertSameData(local.manifest(), r.manifest());

    // Row contents too, read back from both file systems.
    PreparedDataset a = TestCorpus.open(local.output(), conf);
    PreparedDataset b = TestCorpus.open(output, conf);
    for (Split s : Split.values()) {
      List<ShardRow> ra = TestCorpus.rows(a, s);
      List<ShardRow> rb = TestCorpus.rows(b, s);
      assertEquals(ra.size(), rb.size());
      for (int i = 0; i < ra.size(); i++) {
        assertEquals(ra.get(i).seqId(), rb.get(i).seqId());
        assertArrayEquals(ra.get(i).tokens(), rb.get(i).tokens());
      }
    }
    assertTrue(fs.exists(new Path("/datasets/kjv/manifest.json")));
    assertTrue(fs.exists(new Path("/datasets/kjv/prepare.conf")));
  }

  // (a'') The record formats read from HDFS too: the E. coli genome fixture (gzip, written in blocks of
  // 8 KiB, so 4 of them) gives the same shards as locally.
  @Test
  void fastaOnHdfsGivesTheSameShardsAsLocally() throws IOException {
    java.nio.file.Path fna = RealData.ECOLI.fixture();
    FileSystem fs = hdfs.getFileSystem();
    Path input = new Path("/genomes/ecoli.fna.gz");
    byte[] gz = Files.readAllBytes(fna);
    try (OutputStream out = fs.create(input, true, 4096, (short) 1, 8192)) {
      out.write(gz);
    }
    assertTrue(fs.getFileBlockLocations(fs.getFileStatus(input), 0, gz.length).length >= 4, "several HDFS blocks");
    String[] fasta = {"format = fasta", "tokenizer = nucleotide", "fasta.window = 8192", "fasta.stride = 6000",
        "seq-len = 2048", "chunk-bytes = 32 KiB"};
    PrepareResult onHdfs = PrepareCorpus.run(TestCorpus.config(hdfsUri(input.toString()), hdfsUri("/datasets/ecoli"),
        fasta), spark);
    PrepareResult onFile = PrepareCorpus.run(TestCorpus.config(fna.toUri().toString(),
        tmp.resolve("out/ecoli").toUri().toString(), fasta), spark);
    assertSameData(onFile.manifest(), onHdfs.manifest());
    assertEquals(onFile.manifest().records(), onHdfs.manifest().records());
    assertTrue(onHdfs.manifest().chunks() >= 3, "packing chunks: " + onHdfs.manifest().chunks());
    assertEquals((100_030 - 8192) / 6000 + 2, onHdfs.manifest().records().emitted(), "windows of 8192 every 6000");
    assertTrue(fs.exists(new Path("/datasets/ecoli/metadata")));
  }

  // shard-bytes: rows per shard estimated from the data (bit width of the ids used) so that files land
  // at or a little under the target: snappy shrinks text ids a further ~20% (DNA's 3-bit ids hardly:
  // GenomicsPipelineTest).
  @Test
  void shardBytesTargetsTheFileSize() throws IOException {
    PrepareResult text = PrepareCorpus.run(TestCorpus.config(plainFile, tmp.resolve("out/sized-text").toUri().toString(),
        "seq-len = 256", "validation-fraction = 0", "shard-bytes = 64 KiB"), spark);
    assertShardSizes(text.manifest(), 64 << 10, 0.6);
  }

  /** All but the last of at least 3 training shards weigh between {@code low} and 1.05 times the target. */
  public static void assertShardSizes(Manifest m, long target, double low) {
    List<ShardInfo> shards = m.split(Split.TRAIN).shards();
    List<Long> sizes = shards.stream().map(ShardInfo::bytes).toList();
    assertTrue(shards.size() >= 3, sizes.toString());
    for (long size : sizes.subList(0, sizes.size() - 1)) {
      assertTrue(size > low * target && size < 1.05 * target, "target " + target + ": " + sizes);
    }
  }

  // (a') gzip (bundled sample) and bzip2 inputs are decompressed through Hadoop's codecs to the same shards.
  @Test
  void compressedInputsGiveTheSameShards() throws IOException {
    java.nio.file.Path bz2 = tmp.resolve("in-bz2/kjv-sample.txt.bz2");
    Files.createDirectories(bz2.getParent());
    BZip2Codec codec = new BZip2Codec();
    codec.setConf(new Configuration());
    try (OutputStream out = codec.createOutputStream(Files.newOutputStream(bz2))) {
      out.write(text);
    }
    // Splits of 64 KiB: bzip2 is splittable, but must still be read whole for stable offsets.
    conf.setLong("mapreduce.input.fileinputformat.split.maxsize", 64 << 10);
    try {
      PrepareResult fromBz2 = PrepareCorpus.run(TestCorpus.config(bz2.toUri().toString(),
          tmp.resolve("out/bz2").toUri().toString(), PACKING), spark);
      assertSameData(local.manifest(), fromBz2.manifest());
    } finally {
      conf.unset("mapreduce.input.fileinputformat.split.maxsize");
    }
    PrepareResult fromGz = PrepareCorpus.run(TestCorpus.config(TestCorpus.sample().toUri().toString(),
        tmp.resolve("out/gz").toUri().toString(), PACKING), spark);
    assertSameData(local.manifest(), fromGz.manifest());
  }

  // (b) Spark's own Parquet reader reads the shards; the rows rebuild the corpus exactly.
  @Test
  void shardsArePlainParquetForSpark() throws IOException {
    Manifest m = local.manifest();
    for (Split s : Split.values()) {
      if (m.split(s).shards().isEmpty()) {
        assertEquals(Split.TEST, s, "only text's test split is empty");
        continue; // no shards, no directory
      }
      Dataset<Row> df = spark.read().parquet(local.output() + "/" + s.id());
      assertEquals("struct<seq_id:bigint,tokens:array<int>,n_tokens:int,segment_ids:array<int>>",
          df.schema().simpleString());
      assertEquals(m.split(s).sequences(), df.count(), s.id());
    }

    // One chunk, no validation: the train rows in seq_id order are the whole token stream.
    PrepareResult single = PrepareCorpus.run(TestCorpus.config(plainFile, tmp.resolve("out/single").toUri().toString(),
        "seq-len = " + SEQ_LEN, "validation-fraction = 0", "chunk-bytes = 4 MiB"), spark);
    assertEquals(1, single.manifest().chunks());
    List<Row> rows = new java.util.ArrayList<>(spark.read().parquet(single.output() + "/train").collectAsList());
    rows.sort(java.util.Comparator.comparingLong(r -> r.getLong(0)));
    int[] stream = new int[(int) single.manifest().streamTokens()];
    int pos = 0;
    for (int i = 0; i < rows.size(); i++) {
      Row row = rows.get(i);
      assertEquals(i, row.getLong(0));
      List<Integer> tokens = row.getList(1);
      assertEquals(SEQ_LEN + 1, tokens.size());
      int n = row.getInt(2);
      for (int j = i == 0 ? 0 : 1; j < n; j++) {
        stream[pos++] = tokens.get(j);
      }
    }
    assertEquals(stream.length, pos);
    String expected = new String(text, StandardCharsets.UTF_8);
    assertEquals(expected, new ByteTokenizer().decode(stream), "the rows decode to the source text, EOS as newline");

    // Segment ids: the document index within the row, +1 after each EOS, -1 on PAD.
    for (Row row : rows) {
      List<Integer> tokens = row.getList(1);
      List<Integer> segments = row.getList(3);
      int expectedSegment = 0;
      for (int j = 0; j < tokens.size(); j++) {
        assertEquals(j < row.getInt(2) ? expectedSegment : -1, segments.get(j));
        expectedSegment += tokens.get(j) == ByteTokenizer.EOS ? 1 : 0;
      }
    }

    // And a single decoded row is the source text at its position.
    int[] first = rows.get(0).getList(1).stream().mapToInt(x -> (Integer) x).toArray();
    assertEquals(expected.substring(0, SEQ_LEN + 1), new ByteTokenizer().decode(first));
  }

  // document = file: a directory of files, each one document (exact bytes, gzip decompressed); hidden files skipped.
  @Test
  void fileModeReadsEachFileAsOneDocument() throws IOException {
    java.nio.file.Path dir = tmp.resolve("files");
    Files.createDirectories(dir.resolve("sub"));
    Files.writeString(dir.resolve("a.txt"), "first\r\nfile\n");
    try (OutputStream out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(dir.resolve("sub/b.txt.gz")))) {
      out.write("second".getBytes(StandardCharsets.UTF_8));
    }
    Files.writeString(dir.resolve(".hidden"), "not me");
    Files.writeString(dir.resolve("_SUCCESS"), "nor me");

    PrepareResult r = PrepareCorpus.run(TestCorpus.config(dir.toUri().toString(), tmp.resolve("out/files").toUri().toString(),
        "document = file", "seq-len = 8", "validation-fraction = 0"), spark);
    Manifest m = r.manifest();
    assertEquals(2, m.documents());
    assertEquals(2, m.chunks());
    assertEquals(12 + 6, m.inputBytes(), "CR kept: a file document is its exact bytes");
    assertEquals(List.of("a.txt", "b.txt.gz"), m.inputs().stream().map(i -> new Path(i.path()).getName()).toList());
    // a.txt: 12 bytes + EOS = 13 stream tokens -> 2 sequences of 8+1; b.txt.gz: 7 -> 1.
    List<ShardRow> rows = TestCorpus.rows(TestCorpus.open(r.output(), conf), Split.TRAIN);
    assertEquals(3, rows.size());
    ByteTokenizer tok = new ByteTokenizer();
    assertEquals("first\r\nfile\n\n", tok.decode(rows.get(0).tokens()) + tok.decode(rows.get(1).tokens(), 1, 9));
    assertEquals("second\n", tok.decode(rows.get(2).tokens()));
  }

  // (c) Counts add up: every line is a document; tokens minus overlaps equal bytes plus EOS.
  @Test
  void countsAddUp() throws IOException {
    Manifest m = local.manifest();
    long bytes = lines.stream().mapToLong(l -> l.length).sum();
    long documents = lines.size();
    assertEquals(12_000, documents);
    assertEquals(documents, m.documents());
    assertEquals(bytes, m.inputBytes());
    assertEquals(documents, m.inputs().get(0).documents());

    SplitInfo train = m.split(Split.TRAIN);
    SplitInfo validation = m.split(Split.VALIDATION);
    assertEquals(documents, train.records() + validation.records(), "every line accounted for");

    // Chunks: distinct (line start offset / chunk-bytes).
    Set<Long> chunks = new HashSet<>();
    long offset = 0;
    for (byte[] line : lines) {
      chunks.add(offset / CHUNK);
      offset += line.length + 1;
    }
    assertEquals(chunks.size(), m.chunks());
    assertEquals(8, m.chunks());

    // Each chunk holds a stream per split (a line goes whole to one split); a stream of T tokens gives
    // n sequences sharing n - 1 tokens: sum(n_tokens) - (sequences - streams) = bytes + one EOS per document.
    long sequences = train.sequences() + validation.sequences();
    assertEquals(bytes + documents, m.streamTokens());
    assertEquals(bytes + documents, train.tokens() + validation.tokens() - (sequences - 2L * chunks.size()),
        "each of the 8 chunks has lines in both splits");

    // The shards agree with the manifest: rows, contiguous seq_ids, n_tokens, histograms.
    PreparedDataset data = TestCorpus.open(local.output(), conf);
    for (Split s : Split.values()) {
      SplitInfo info = m.split(s);
      List<ShardRow> rows = TestCorpus.rows(data, s);
      assertEquals(info.sequences(), rows.size());
      long[] histogram = new long[ByteTokenizer.VOCAB_SIZE];
      long tokens = 0;
      for (int i = 0; i < rows.size(); i++) {
        ShardRow row = rows.get(i);
        assertEquals(i, row.seqId());
        tokens += row.nTokens();
        for (int j = 0; j < row.nTokens(); j++) {
          histogram[row.tokens()[j]]++;
        }
      }
      assertEquals(info.tokens(), tokens, s.id());
      assertArrayEquals(info.tokenHistogram(), histogram, s.id());
      assertEquals(0, histogram[ByteTokenizer.PAD]);
      assertEquals(info.shards().stream().mapToLong(ShardInfo::rows).sum(), info.sequences());
    }
    // The validation share is near the configured 10%.
    double share = validation.sequences() / (double) sequences;
    assertTrue(share > 0.08 && share < 0.12, "validation share " + share);
  }

  // (d) The same input twice gives identical output, even with different input splits and partitions.
  @Test
  void sameInputTwiceGivesIdenticalOutput() throws IOException {
    conf.setLong("mapreduce.input.fileinputformat.split.maxsize", 100_000);
    PrepareResult again;
    try {
      again = PrepareCorpus.run(TestCorpus.config(plainFile, tmp.resolve("out/again").toUri().toString(), PACKING), spark);
    } finally {
      conf.unset("mapreduce.input.fileinputformat.split.maxsize");
    }
    assertSameData(local.manifest(), again.manifest());
    for (Split s : Split.values()) {
      for (ShardInfo shard : local.manifest().split(s).shards()) {
        byte[] a = Files.readAllBytes(java.nio.file.Path.of(java.net.URI.create(local.output() + "/" + shard.path())));
        byte[] b = Files.readAllBytes(java.nio.file.Path.of(java.net.URI.create(again.output() + "/" + shard.path())));
        assertTrue(Arrays.equals(a, b), shard.path());
      }
    }
    // Only the output location differs between the two manifests.
    String ja = local.manifest().toJson().replace(local.output(), "X").replace("out/local", "out/X");
    String jb = again.manifest().toJson().replace(again.output(), "X").replace("out/again", "out/X");
    assertEquals(ja, jb);
    assertFalse(Files.exists(tmp.resolve("out/again/train/.shard-00000.parquet.tmp")));
  }
}
