package dev.sparseattn.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sparseattn.datasets.manifest.Manifest;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.pipeline.prepare.PrepareResult;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scaling of the prepare job's read stage over a real standalone cluster on 127.0.0.1 (a benchmark,
 * not a timed test): a master and two single-core workers started as separate JVMs from this JVM's
 * classpath, the driver in this JVM; each input prepared with one executor core ({@code
 * spark.cores.max = 1}: one worker used) and with two (both workers), in the same sitting. Inputs,
 * {@code -Dbench.mb} MB each (default 64; generated in a temp dir, deleted after): one FASTQ file, one
 * FASTA file of four records, one paragraph-text file, and the same text as 64 small files, cut at the
 * job's default split size (128 MiB; a smaller input in 8 splits; {@code -Dbench.split-mb=N} sets it).
 * Prints {@code uptime}, MB/s per core, the 1 -> 2 worker speed-up of each input and the per-core
 * throughput of each single file relative to the small files; checks both runs give the same dataset.
 * After each run it lists Spark's stages ({@link StageTimes}) and the CPU seconds of the executor
 * processes, the driver and the daemons against the machine's cores times the wall time.
 * {@code -Dbench.inputs=fastq,fasta} runs only the inputs named (of fastq, fasta, text,
 * text-64-files), to spread a long run over several sittings. Each worker is confined to a core of
 * its own ({@code taskset -c 0} and {@code -c 1}; its executors inherit it), as a single-core machine
 * would confine it: unconfined, the one-worker run's executor also ran its JIT compiler, garbage
 * collector and shuffle threads on the idle second core, and the speed-up understated the scaling;
 * {@code -Dbench.pin=false} leaves them unconfined (the driver and the master never are). Run with
 * {@code mvn -pl pipeline -am -Pslow test -Dtest=ClusterScalingBenchmarkTest -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("slow")
class ClusterScalingBenchmarkTest {
  @TempDir static Path tmp;

  @Test
  void oneAndTwoWorkers() throws Exception {
    long bytes = Long.getLong("bench.mb", 64) << 20;
    // the job's default split size (128 MiB), but at least 8 splits of a small input; -Dbench.split-mb=N sets it
    long splitSize = Long.getLong("bench.split-mb", 0) > 0 ? Long.getLong("bench.split-mb") << 20
        : Math.max(1024, Math.min(128L << 20, bytes / 8));
    Random r = new Random(1);
    String[] names = {"fastq", "fasta", "text", "text-64-files"};
    List<String> only = List.of(System.getProperty("bench.inputs", String.join(",", names)).split(","));
    Path fastq = !only.contains("fastq") ? null : GeneratedInputs.fastq(tmp.resolve("big.fastq"), bytes, r);
    Path fasta = !only.contains("fasta") ? null
        : GeneratedInputs.fasta(tmp.resolve("big.fasta"), bytes, bytes / 4 + 1, r);      // four records
    boolean anyText = only.contains("text") || only.contains("text-64-files");
    Path text = !anyText ? null : GeneratedInputs.paragraphs(tmp.resolve("big.txt"), bytes, r);
    Path small = !only.contains("text-64-files") ? null : smallFiles(text, 64);
    System.out.println("SCALING " + uptime());
    boolean pin = Boolean.parseBoolean(System.getProperty("bench.pin", "true"));
    try (StandaloneCluster cluster = new StandaloneCluster(tmp, tmp.resolve("spark-home"),
        System.getProperty("java.class.path")).start(2, "1536m", pin)) {
      System.out.println("SCALING workers " + (cluster.pinned() ? "pinned to cores 0 and 1" : "not pinned"));
      double[] perCore2 = new double[4];
      Object[][] inputs = {{fastq, "format = fastq", "tokenizer = nucleotide"},
          {fasta, "format = fasta", "tokenizer = nucleotide"}, {text, "format = text", "document = paragraph"},
          {small, "format = text", "document = paragraph"}};
      for (int i = 0; i < inputs.length; i++) {
        if (!only.contains(names[i])) {
          continue;
        }
        double[] mbPerS = new double[3];
        Manifest[] manifests = new Manifest[3];
        for (int cores : new int[] {1, 2}) {
          SparkSession spark = cluster.session("scaling-" + names[i] + "-" + cores, cores, "1g").getOrCreate();
          StageTimes stages = new StageTimes();
          spark.sparkContext().addSparkListener(stages);
          try {
            StandaloneCluster.awaitExecutors(spark, cores);
            double[] cpuBefore = cpuSeconds(cluster);
            Path in = (Path) inputs[i][0];
            PrepareResult res = PrepareCorpus.run(TestSpark.config(in.toUri().toString(),
                tmp.resolve("out-" + names[i] + "-" + cores).toUri().toString(), (String) inputs[i][1],
                (String) inputs[i][2], "seq-len = 1024", "overwrite = true", "split-size = " + splitSize),
                spark);
            mbPerS[cores] = bytes / 1e3 / Math.max(1, res.wallMillis());
            manifests[cores] = res.manifest();
            System.out.printf(Locale.ROOT, "SCALING %-14s %d worker(s) %7.1f MB in %6.1f s: %6.2f MB/s, %6.2f MB/s per core%n",
                names[i], cores, bytes / 1e6, res.wallMillis() / 1e3, mbPerS[cores], mbPerS[cores] / cores);
            double[] cpu = cpuSeconds(cluster);
            Thread.sleep(500); // the listener bus delivers the last stage's events asynchronously
            stages.report().forEach(l -> System.out.println("SCALING   " + l));
            double sum = 0;
            for (int k = 0; k < 3; k++) {
              cpu[k] -= cpuBefore[k];
              sum += cpu[k];
            }
            int machine = Runtime.getRuntime().availableProcessors();
            System.out.printf(Locale.ROOT, "SCALING   process cpu: executors %.1f s, driver %.1f s, master and workers %.1f s;"
                + " %.1f s of %d cores x %.1f s (%.0f%%)%n", cpu[0], cpu[1], cpu[2], sum, machine,
                res.wallMillis() / 1e3, 100 * sum / (machine * res.wallMillis() / 1e3));
          } finally {
            TestSpark.stop(spark);
          }
        }
        perCore2[i] = mbPerS[2] / 2;
        System.out.printf(Locale.ROOT, "SCALING %-14s speed-up 1 -> 2 workers: %.2fx (target >= 1.7x)%n", names[i],
            mbPerS[2] / mbPerS[1]);
        for (Split s : Split.values()) {
          assertEquals(manifests[1].split(s), manifests[2].split(s), names[i] + " " + s);
        }
      }
      for (int i = 0; i < 3 && only.contains(names[3]); i++) {
        if (!only.contains(names[i])) {
          continue;                     // not run in this sitting: no ratio to print
        }
        System.out.printf(Locale.ROOT, "SCALING %-14s per-core throughput on 2 workers / text-64-files: %.2fx (target >= 0.85x)%n",
            names[i], perCore2[i] / perCore2[3]);
      }
      System.out.println("SCALING " + uptime());
    } finally {
      try (Stream<Path> s = Files.walk(tmp)) {
        s.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
      }
    }
  }

  /**
   * CPU seconds used so far by the executors (the workers' child processes), the driver (this JVM) and
   * the master and worker daemons: where the machine's cores go besides the tasks.
   */
  private static double[] cpuSeconds(StandaloneCluster cluster) {
    double[] cpu = new double[3];
    cpu[0] = cluster.executors().stream().mapToDouble(StandaloneCluster::cpuSeconds).sum();
    cpu[1] = StandaloneCluster.cpuSeconds(ProcessHandle.current());
    cpu[2] = cluster.daemons().stream().mapToDouble(StandaloneCluster::cpuSeconds).sum();
    return cpu;
  }

  private static String uptime() throws IOException {
    return "uptime: " + Files.readString(Paths.get("/proc/loadavg")).trim() + " (load 1/5/15 min), "
        + Runtime.getRuntime().availableProcessors() + " cores";
  }

  /** {@code text} cut between paragraphs into {@code n} files of about equal size (streamed: inputs may exceed 2 GiB). */
  private static Path smallFiles(Path text, int n) throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("small"));
    long size = Files.size(text);
    try (java.io.InputStream in = new java.io.BufferedInputStream(Files.newInputStream(text), 1 << 16)) {
      int prev = -1;
      int c = in.read();
      long pos = 0; // of c
      for (int i = 0; i < n; i++) {
        long target = i == n - 1 ? Long.MAX_VALUE : size / n * (i + 1);
        try (java.io.OutputStream out = new java.io.BufferedOutputStream(
            Files.newOutputStream(dir.resolve(String.format(Locale.ROOT, "part-%03d.txt", i))), 1 << 16)) {
          // cut after the blank line ending the first paragraph that ends at or past the target size
          while (c >= 0 && !(pos >= target && prev == '\n' && c == '\n')) {
            out.write(c);
            pos++;
            prev = c;
            c = in.read();
          }
          if (c >= 0) {
            out.write(c);
            pos++;
            prev = -1;
            c = in.read();
          }
        }
      }
    }
    return dir;
  }
}
