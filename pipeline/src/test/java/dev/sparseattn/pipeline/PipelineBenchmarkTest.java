package dev.sparseattn.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sparseattn.datasets.testdata.RealData;
import dev.sparseattn.pipeline.prepare.PrepareResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End-to-end throughput per domain on local[2] (a benchmark, not a timed test): decompressed input
 * MB per wall second of the preparation (Spark already up). Inputs are the shared samples, repeated
 * to a few MB where they are small (tagged {@code shared-data} too: skipped where they are absent). Run with
 * {@code mvn -pl pipeline -am -Pslow test -Dtest=PipelineBenchmarkTest -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("slow")
@Tag("shared-data")
class PipelineBenchmarkTest {
  @TempDir static Path tmp;
  static SparkSession spark;

  @BeforeAll
  static void setUp() {
    spark = TestSpark.start("PipelineBenchmarkTest");
  }

  @AfterAll
  static void tearDown() {
    TestSpark.stop(spark);
  }

  private static void report(String what, long bytes, PrepareResult r) {
    System.out.printf(Locale.ROOT, "BENCHMARK %-28s %8.2f MB in %6.2f s = %6.2f MB/s (%d records, %d quarantined)%n",
        what, bytes / 1e6, r.wallMillis() / 1e3, bytes / 1e3 / Math.max(1, r.wallMillis()),
        r.manifest().records().read(), r.manifest().records().quarantined());
  }

  private static long decompressedSize(Path gz) throws IOException {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
      return in.transferTo(OutputStream.nullOutputStream());
    }
  }

  @Test
  void text() throws IOException {
    Path kjv = RealData.KJV.shared();
    for (int round = 0; round < 2; round++) { // the first round warms the JIT
      PrepareResult r = PrepareCorpus.run(TestSpark.config(kjv.toUri().toString(),
          tmp.resolve("kjv" + round).toUri().toString(), "seq-len = 1024"), spark);
      report("text kjv.txt.gz (byte)", decompressedSize(kjv), r);
    }
  }

  @Test
  void genome() throws IOException {
    Path fna = RealData.ECOLI.shared();
    for (int round = 0; round < 2; round++) {
      PrepareResult r = PrepareCorpus.run(ConfFiles.prepare("genomics-ecoli.conf", fna, tmp.resolve("ecoli" + round)), spark);
      report("fasta ecoli (k=1, 4095 win)", decompressedSize(fna), r);
    }
    PrepareResult r6 = PrepareCorpus.run(ConfFiles.prepare("genomics-ecoli.conf", fna, tmp.resolve("ecoli-k6"),
        "prepare.nucleotide.k=6", "prepare.nucleotide.overlapping=true"), spark);
    report("fasta ecoli (6-mer overlap)", decompressedSize(fna), r6);
  }

  @Test
  void reads() throws IOException {
    Path fq = RealData.LAMBDA_READS.shared();
    PrepareResult r = PrepareCorpus.run(TestSpark.config(fq.toUri().toString(), tmp.resolve("fq").toUri().toString(),
        "format = fastq", "tokenizer = nucleotide", "seq-len = 1024"), spark);
    report("fastq lambda reads", decompressedSize(fq), r);
  }

  /**
   * BPE training on ~100 MB (the KJV 23 times, plain text): vocabularies of 8k and 32k, the whole
   * preparation timed; the split between counting (cluster) and merging (driver) is logged by
   * BpeTraining ("BPE of ... ids").
   */
  @Test
  void bpeTraining() throws IOException {
    byte[] kjv;
    try (InputStream in = new GZIPInputStream(Files.newInputStream(RealData.KJV.shared()))) {
      kjv = in.readAllBytes();
    }
    Path big = tmp.resolve("kjv-x23.txt");
    try (OutputStream out = Files.newOutputStream(big)) {
      for (int i = 0; i < 23; i++) {
        out.write(kjv);
      }
    }
    for (int vocab : new int[] {8000, 32000}) {
      long t0 = System.nanoTime();
      PrepareResult r = PrepareCorpus.run(TestSpark.config(big.toUri().toString(), tmp.resolve("bpe" + vocab).toUri().toString(),
          "tokenizer = bpe", "bpe.vocab-size = " + vocab, "seq-len = 2048", "chunk-bytes = 16 MiB"), spark);
      report("text x23 bpe " + vocab + " (train+prep)", Files.size(big), r);
      System.out.printf(Locale.ROOT, "BENCHMARK bpe vocab %d: %d ids, whole run %.1f s%n", vocab,
          r.manifest().vocabSize(), (System.nanoTime() - t0) / 1e9);
    }
  }

  /** The Seattle series 200 times, as 200 stations (a series column), 9.6 MB. */
  @Test
  void climate() throws IOException {
    List<String> lines = Files.readAllLines(RealData.SEATTLE.shared());
    Path big = tmp.resolve("stations.csv");
    try (var out = Files.newBufferedWriter(big, StandardCharsets.UTF_8)) {
      out.write("station," + lines.get(0) + "\n");
      for (int s = 0; s < 200; s++) {
        for (String line : lines.subList(1, lines.size())) {
          out.write("S" + s + "," + line + "\n");
        }
      }
    }
    PrepareResult r = PrepareCorpus.run(ConfFiles.prepare("climate-weather.conf", big, tmp.resolve("climate"),
        "prepare.csv.series-column=station", "prepare.csv.window=64", "prepare.csv.stride=32",
        // all four variables, as the recipe read when the benchmark's figures were taken (it now reads two)
        "prepare.csv.value-columns=[precipitation, temp_max, temp_min, wind]"), spark);
    assertEquals(200 * 1461, r.manifest().records().emitted());
    report("csv seattle x200 stations", Files.size(big), r);
  }
}
