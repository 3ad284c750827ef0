package dev.sparseattn.pipeline.genomics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.config.DataError;
import dev.sparseattn.datasets.manifest.Manifest;
import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.datasets.manifest.RecordAccounting;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.datasets.shard.ShardReader;
import dev.sparseattn.datasets.shard.ShardRow;
import dev.sparseattn.datasets.testdata.RealData;
import dev.sparseattn.datasets.tokenize.NucleotideTokenizer;
import dev.sparseattn.datasets.tokenize.Tokenizer;
import dev.sparseattn.pipeline.ConfFiles;
import dev.sparseattn.pipeline.PrepareConfig;
import dev.sparseattn.pipeline.PrepareCorpus;
import dev.sparseattn.pipeline.PrepareCorpusTest;
import dev.sparseattn.pipeline.TestSpark;
import dev.sparseattn.pipeline.prepare.PrepareResult;
import dev.sparseattn.datasets.read.FastaReaderTest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FASTA and FASTQ through the whole pipeline on Spark local[2]: the real E. coli genome with
 * {@code conf/genomics-ecoli.conf}, the real lambda reads (fixtures by default, the whole files with
 * the {@code shared-data} tag), and hand-made bad files.
 */
class GenomicsPipelineTest {
  static final int GENOME = 4_938_920;
  static final int FIXTURE = 100_030;
  @TempDir static Path tmp;
  static SparkSession spark;

  @BeforeAll
  static void setUp() {
    spark = TestSpark.start("GenomicsPipelineTest");
  }

  @AfterAll
  static void tearDown() {
    TestSpark.stop(spark);
  }

  /** The token stream of a one-chunk, train-only dataset: rows in order, shared tokens once. */
  static int[] stream(PrepareResult r) throws IOException {
    PreparedDataset data = PreparedDataset.open(r.output(), new Configuration());
    int[] stream = new int[(int) data.manifest().streamTokens()];
    int pos = 0;
    for (org.apache.hadoop.fs.Path shard : data.shardPaths(Split.TRAIN)) {
      try (ShardReader reader = data.openShard(shard)) {
        for (ShardRow row; (row = reader.read()) != null; ) {
          for (int j = row.seqId() == 0 ? 0 : 1; j < row.nTokens(); j++) {
            stream[pos++] = row.tokens()[j];
          }
        }
      }
    }
    assertEquals(stream.length, pos);
    return stream;
  }

  /** The genome fixture (100,030 bases): 25 windows of 4,095 bases. */
  @Test
  void ecoliFixtureWithTheShippedConfig() throws IOException {
    Manifest m = prepareWithTheShippedConfig(RealData.ECOLI.fixture(), FIXTURE, "ecoli-fixture");
    assertEquals(25, m.documents());
  }

  /** The whole genome: 1,207 windows, of which 3-7% go to validation and as many to test. */
  @Test
  @Tag("shared-data")
  void wholeEcoliGenomeWithTheShippedConfig() throws IOException {
    Manifest m = prepareWithTheShippedConfig(RealData.ECOLI.shared(), GENOME, "ecoli");
    assertEquals(1207, m.documents());
    for (Split heldOut : new Split[] {Split.VALIDATION, Split.TEST}) {
      double share = m.split(heldOut).records() / (double) m.documents();
      assertTrue(share > 0.03 && share < 0.07, heldOut + " share " + share);
    }
  }

  private static Manifest prepareWithTheShippedConfig(Path fna, int bases, String name) throws IOException {
    PrepareConfig config = ConfFiles.prepare("genomics-ecoli.conf", fna, tmp.resolve(name));
    PrepareResult r = PrepareCorpus.run(config, spark);
    Manifest m = r.manifest();
    long windows = (bases + 4094) / 4095;
    assertEquals(new RecordAccounting("window", windows, windows, 0, 0, Map.of()), m.records());
    assertEquals("fasta", m.format());
    assertEquals(windows, m.documents());
    assertEquals(bases, m.inputBytes());
    assertEquals(bases + windows, m.streamTokens());
    assertEquals("nucleotide", m.tokenizer().get("name"));
    assertEquals(17, m.vocabSize());
    // Every whole window + EOS (4,096 ids) is four rows of 1024 + 1 ids; the genome's last, shorter window fewer.
    assertEquals(1024, m.seqLen());
    long rows = 0;
    for (Split split : Split.values()) {
      rows += m.split(split).sequences();
    }
    assertTrue(rows > 4 * windows - 4 && rows <= 4 * windows, rows + " rows for " + windows + " windows");
    long[] histogram = m.split(Split.TRAIN).tokenHistogram();
    long trainBases = m.split(Split.TRAIN).tokens() - m.split(Split.TRAIN).sequences();
    assertTrue(histogram[0] > trainBases / 5 && histogram[4] == 0, "A counted, no N in this genome");

    List<Row> meta = spark.read().json(r.output() + "/metadata").collectAsList();
    assertEquals(1, meta.size());
    Row header = meta.get(0).getStruct(meta.get(0).fieldIndex("meta"));
    assertEquals("gi|110640213|ref|NC_008253.1| Escherichia coli 536, complete genome",
        header.getString(header.fieldIndex("header")));
    System.out.printf("GenomicsPipelineTest: E. coli %.2f MB of bases in %.1f s = %.2f MB/s (2 cores, local[2])%n",
        bases / 1e6, r.wallMillis() / 1000.0, bases / 1e3 / Math.max(1, r.wallMillis()));
    return m;
  }

  @Test
  void genomeFixtureDecodesBackExactly() throws IOException {
    assertDecodesBackExactly(RealData.ECOLI.fixture(), 25);
  }

  @Test
  @Tag("shared-data")
  void wholeGenomeDecodesBackExactly() throws IOException {
    assertDecodesBackExactly(RealData.ECOLI.shared(), 1207);
  }

  private static void assertDecodesBackExactly(Path fna, int windows) throws IOException {
    PrepareResult r = PrepareCorpus.run(ConfFiles.prepare("genomics-ecoli.conf", fna,
        tmp.resolve("decoded-" + windows), "prepare.validation-fraction=0", "prepare.test-fraction=0",
        "prepare.chunk-bytes=64MiB", "prepare.nucleotide.k=3", "prepare.nucleotide.overlapping=false"), spark);
    Tokenizer tok = PreparedDataset.open(r.output(), new Configuration()).tokenizer();
    assertEquals(new NucleotideTokenizer(new NucleotideTokenizer.Options(3, false,
        dev.sparseattn.datasets.tokenize.AmbiguityRule.TOKEN, true)), tok);
    assertEquals(1, r.manifest().chunks());
    String decoded = tok.decode(stream(r));
    assertEquals(new String(FastaReaderTest.genome(fna), StandardCharsets.US_ASCII), decoded.replace("\n", ""));
    assertEquals(windows, decoded.chars().filter(c -> c == '\n').count(), "one EOS per window");
  }

  /**
   * prepare.shard-bytes on DNA (3-bit ids, which snappy hardly shrinks): files land near the target.
   * The fixture's 25 rows in shards of 16 KiB (10 rows; a Parquet file's fixed ~1 KB is 7% of it).
   */
  @Test
  void shardBytesTargetsTheFileSize() throws IOException {
    assertShardBytes(RealData.ECOLI.fixture(), 16 << 10);
  }

  /** The whole genome's 1,207 rows in shards of 256 KiB. */
  @Test
  @Tag("shared-data")
  void wholeGenomeShardBytesTargetTheFileSize() throws IOException {
    assertShardBytes(RealData.ECOLI.shared(), 256 << 10);
  }

  private static void assertShardBytes(Path fna, long target) throws IOException {
    PrepareResult dna = PrepareCorpus.run(TestSpark.config(fna.toUri().toString(),
        tmp.resolve("sized-" + target).toUri().toString(), "format = fasta", "tokenizer = nucleotide",
        "fasta.window = 4095", "seq-len = 4096", "validation-fraction = 0", "shard-bytes = " + target), spark);
    PrepareCorpusTest.assertShardSizes(dna.manifest(), target, 0.85);
  }

  /** The 2,000 reads of the fixture. */
  @Test
  void lambdaReadsWithReverseComplement() throws IOException {
    assertReadsWithReverseComplement(RealData.LAMBDA_READS.fixture(), 2_000);
  }

  /** All 10,000 reads. */
  @Test
  @Tag("shared-data")
  void allLambdaReadsWithReverseComplement() throws IOException {
    assertReadsWithReverseComplement(RealData.LAMBDA_READS.shared(), 10_000);
  }

  private static void assertReadsWithReverseComplement(Path fq, long reads) throws IOException {
    PrepareResult r = PrepareCorpus.run(TestSpark.config(fq.toUri().toString(),
        tmp.resolve("lambda-" + reads).toUri().toString(), "format = fastq", "tokenizer = nucleotide",
        "nucleotide.reverse-complement = true", "seq-len = 1024", "fastq.qualities = true", "validation-fraction = 0",
        "chunk-bytes = 64 MiB"), spark);
    Manifest m = r.manifest();
    assertEquals(new RecordAccounting("read", reads, reads, 0, 0, Map.of()), m.records());
    assertEquals(2 * reads, m.documents(), "each read and its reverse complement");
    assertEquals(reads, spark.read().json(r.output() + "/metadata").count(), "qualities of every read");
    long[] counts = new long[17];
    for (int id : stream(r)) {
      counts[id]++;
    }
    assertEquals(2 * reads, counts[16], "one EOS per document");
    assertEquals(counts[0], counts[3], "with both strands, A and T pair up");
    assertEquals(counts[1], counts[2], "and C and G");
    assertTrue(counts[4] > 0 && counts[4] % 2 == 0, "the simulated reads hold N, on both strands: " + counts[4]);
  }

  @Test
  void badGenomicFilesAreQuarantinedWithReasons() throws IOException {
    Path dir = tmp.resolve("bad");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("a-headerless.fa"), "ACGT\n>ok\nACGTACGTAC\n");
    Files.writeString(dir.resolve("b-empty-record.fa"), ">empty\n>also empty\n\n");
    Files.writeString(dir.resolve("c-letters.fa"), ">odd\nACGTA\nCG*TA\nACGTA\nACGNN\n");
    Files.write(dir.resolve("d-empty.fa"), new byte[0]);
    Files.write(dir.resolve("e-truncated.fa.gz"), truncatedGenome());
    PrepareResult r = PrepareCorpus.run(TestSpark.config(dir.toUri().toString(), tmp.resolve("out-bad").toUri().toString(),
        "format = fasta", "tokenizer = nucleotide", "nucleotide.ambiguous = reject", "fasta.window = 5",
        "seq-len = 64", "validation-fraction = 0"), spark);
    RecordAccounting acc = r.manifest().records();
    // c-letters: windows ACGTA | CG*TA (bad letter) | ACGTA | ACGNN (ambiguous, rejected).
    assertEquals(Map.of("no-header", 1L, "empty-record", 2L, "unexpected-letter", 1L, "ambiguous-base", 1L,
        "empty-file", 1L, "truncated", 1L), acc.byReason());
    assertEquals(acc.read(), acc.emitted() + 7);
    long truncatedWindows = acc.emitted() - 2 - 2;
    assertTrue(truncatedWindows > 1000 && truncatedWindows < 240_000, "windows before the cut: " + truncatedWindows);

    List<Row> q = spark.read().json(r.output() + "/quarantine").where("reason = 'unexpected-letter'").collectAsList();
    assertEquals("unexpected-letter: '*' at 2", q.get(0).getString(q.get(0).fieldIndex("detail")));
    assertEquals(5, q.get(0).getLong(q.get(0).fieldIndex("offset")), "record at byte 0, window at base 5");

    DataError strict = assertThrows(DataError.class, () -> PrepareCorpus.run(TestSpark.config(
        dir.resolve("c-letters.fa").toUri().toString(), tmp.resolve("out-strict").toUri().toString(),
        "format = fasta", "tokenizer = nucleotide", "fasta.window = 5", "strict = true"), spark));
    assertTrue(strict.getMessage().matches("strict mode: bad record in file:.*c-letters.fa record 1 at offset 5:"
        + " unexpected-letter: '\\*' at 2 .*"), strict.getMessage());
  }

  @Test
  void badFastqRecordsAreQuarantinedWithReasons() throws IOException {
    Path fq = tmp.resolve("bad.fq");
    Files.writeString(fq, "@r1\nACGT\n+\nIIII\n@r2\nACGTN\n+\nIII\nstray line\n@r3\nAC*T\n+\nIIII\n"
        + "@r4\nGGCC\nno plus\n@r5\nTTAA\n+r5\n!!!!\n@r6\nAC\n");
    PrepareResult r = PrepareCorpus.run(TestSpark.config(fq.toUri().toString(), tmp.resolve("out-fq").toUri().toString(),
        "format = fastq", "tokenizer = nucleotide", "seq-len = 16", "validation-fraction = 0"), spark);
    assertEquals(new RecordAccounting("read", 7, 2, 5, 0, Map.of("quality-length", 1L, "malformed", 2L,
        "unexpected-letter", 1L, "incomplete-record", 1L)), r.manifest().records());
    assertEquals("ACGT\nTTAA\n", new NucleotideTokenizer(new NucleotideTokenizer.Options(1, false,
        dev.sparseattn.datasets.tokenize.AmbiguityRule.TOKEN, true)).decode(stream(r)));
  }

  /** The genome fixture (100 kbp), gzip-compressed, cut in the middle. */
  static byte[] truncatedGenome() throws IOException {
    byte[] head;
    try (InputStream in = new GZIPInputStream(Files.newInputStream(RealData.ECOLI.fixture()))) {
      head = in.readAllBytes();
    }
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (OutputStream out = new GZIPOutputStream(gz)) {
      out.write(head);
    }
    return java.util.Arrays.copyOf(gz.toByteArray(), gz.size() / 2);
  }
}
