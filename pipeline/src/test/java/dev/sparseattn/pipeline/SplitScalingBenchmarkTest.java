package dev.sparseattn.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sparseattn.datasets.manifest.Manifest;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.pipeline.prepare.PrepareResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scaling of one big file over cores (a benchmark, not a timed test): a generated FASTQ, FASTA and
 * paragraph-text file of {@code -Dbench.mb} MB each (default 32; not committed, written to a temp dir)
 * prepared on {@code local[2]} (a warm-up), {@code local[1]} and {@code local[2]} again with {@code split-size = size / 8}; prints MB/s,
 * MB/s per core and the speed-up, and checks both runs give the same dataset (FASTA in two passes,
 * {@code dev.sparseattn.datasets.read.ScannedSplitFormat}). The cluster version is
 * {@link ClusterScalingBenchmarkTest}. Run with
 * {@code mvn -pl pipeline -am -Pslow test -Dtest=SplitScalingBenchmarkTest -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("slow")
class SplitScalingBenchmarkTest {
  @TempDir static Path tmp;

  @Test
  void oneBigFileOnOneAndTwoCores() throws IOException {
    long bytes = Long.getLong("bench.mb", 32) << 20;
    Random r = new Random(1);
    Path fastq = GeneratedInputs.fastq(tmp.resolve("big.fastq"), bytes, r);
    Path fasta = GeneratedInputs.fasta(tmp.resolve("big.fasta"), bytes, 8 << 20, r);   // a record every 8 MB
    Path text = GeneratedInputs.paragraphs(tmp.resolve("big.txt"), bytes, r);
    for (Object[] input : List.of(new Object[] {fastq, "format = fastq", "tokenizer = nucleotide"},
        new Object[] {fasta, "format = fasta", "tokenizer = nucleotide"},
        new Object[] {text, "format = text", "document = paragraph"})) {
      Path file = (Path) input[0];
      double[] mbPerS = new double[3];
      Manifest[] manifests = new Manifest[3];
      for (int cores : new int[] {2, 1, 2}) { // the first run warms the JIT; the last two are measured
        SparkSession spark = SparkSession.builder().master("local[" + cores + "]").appName("scaling")
            .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
        try {
          PrepareResult res = PrepareCorpus.run(TestSpark.config(file.toUri().toString(),
              tmp.resolve("out-" + file.getFileName() + "-" + cores).toUri().toString(), (String) input[1],
              (String) input[2], "seq-len = 1024", "overwrite = true", "split-size = " + Math.max(1024, Files.size(file) / 8)), spark);
          mbPerS[cores] = Files.size(file) / 1e3 / Math.max(1, res.wallMillis());
          manifests[cores] = res.manifest();
          System.out.printf(Locale.ROOT, "SCALING %-10s local[%d] %7.1f MB in %6.1f s: %6.2f MB/s, %6.2f MB/s per core%n",
              file.getFileName(), cores, Files.size(file) / 1e6, res.wallMillis() / 1e3, mbPerS[cores],
              mbPerS[cores] / cores);
          if (manifests[0] == null) {
            manifests[0] = res.manifest(); // the warm-up run
          }
        } finally {
          TestSpark.stop(spark);
        }
      }
      System.out.printf(Locale.ROOT, "SCALING %-10s speed-up local[1] -> local[2]: %.2fx%n", file.getFileName(),
          mbPerS[2] / mbPerS[1]);
      for (Split s : Split.values()) {
        assertEquals(manifests[0].split(s), manifests[1].split(s), file + " " + s);
        assertEquals(manifests[1].split(s), manifests[2].split(s), file + " " + s);
      }
    }
  }
}
