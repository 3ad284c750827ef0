package dev.sparseattn.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.manifest.Manifest;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.pipeline.prepare.PrepareResult;
import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
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
 * FASTA file of four records, one paragraph-text file, and the same text as 64 small files. Prints
 * {@code uptime}, MB/s per core, the 1 -> 2 worker speed-up of each input and the per-core throughput of
 * the single text file relative to the small files; checks both runs give the same dataset.
 * {@code -Dbench.inputs=fastq,fasta} runs only the inputs named (of fastq, fasta, text,
 * text-64-files), to spread a long run over several sittings. Run with
 * {@code mvn -pl pipeline -am -Pslow test -Dtest=ClusterScalingBenchmarkTest -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("slow")
class ClusterScalingBenchmarkTest {
  @TempDir static Path tmp;
  private final List<Process> started = new ArrayList<>();

  @Test
  void oneAndTwoWorkers() throws Exception {
    long bytes = Long.getLong("bench.mb", 64) << 20;
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
    int port = freePort();
    String master = "spark://127.0.0.1:" + port;
    try {
      start("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", "" + port,
          "--webui-port", "" + freePort());
      for (int w = 1; w <= 2; w++) {
        start("worker" + w, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "1",
            "--memory", "1536m", "--webui-port", "" + freePort(), "--work-dir", tmp.resolve("work" + w).toString(),
            master);
      }
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
          SparkSession spark = SparkSession.builder().master(master).appName("scaling-" + names[i] + "-" + cores)
              .config("spark.cores.max", "" + cores).config("spark.executor.cores", "1")
              .config("spark.executor.memory", "1g").config("spark.ui.enabled", "false")
              .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
              .config("spark.executor.extraJavaOptions", String.join(" ", opens()))
              .config("spark.executor.extraClassPath", System.getProperty("java.class.path"))
              .getOrCreate();
          StageTimes stages = new StageTimes();
          spark.sparkContext().addSparkListener(stages);
          try {
            awaitExecutors(spark, cores);
            Path in = (Path) inputs[i][0];
            PrepareResult res = PrepareCorpus.run(TestSpark.config(in.toUri().toString(),
                tmp.resolve("out-" + names[i] + "-" + cores).toUri().toString(), (String) inputs[i][1],
                (String) inputs[i][2], "seq-len = 1024", "overwrite = true", "split-size = " + Math.max(1024, bytes / 8)),
                spark);
            mbPerS[cores] = bytes / 1e3 / Math.max(1, res.wallMillis());
            manifests[cores] = res.manifest();
            System.out.printf(Locale.ROOT, "SCALING %-14s %d worker(s) %7.1f MB in %6.1f s: %6.2f MB/s, %6.2f MB/s per core%n",
                names[i], cores, bytes / 1e6, res.wallMillis() / 1e3, mbPerS[cores], mbPerS[cores] / cores);
            Thread.sleep(500); // the listener bus delivers the last stage's events asynchronously
            stages.report().forEach(l -> System.out.println("SCALING   " + l));
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
      for (int i = started.size() - 1; i >= 0; i--) {
        Process p = started.get(i);
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
      }
      try (Stream<Path> s = Files.walk(tmp)) {
        s.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
      }
    }
  }

  private static void awaitExecutors(SparkSession spark, int cores) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (spark.sparkContext().getExecutorMemoryStatus().size() < cores + 1) { // executors + the driver
      assertTrue(System.nanoTime() < deadline, "executors did not register");
      Thread.sleep(500);
    }
  }

  private static List<String> opens() {
    return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> a.startsWith("--add-opens") || a.startsWith("-XX:+IgnoreUnrecognizedVMOptions")
            || a.startsWith("-Djdk.reflect")).toList();
  }

  private void start(String name, String mainClass, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString()));
    cmd.addAll(opens());
    cmd.addAll(List.of("-Xmx512m", "-cp", System.getProperty("java.class.path"), mainClass));
    cmd.addAll(List.of(args));
    Path home = tmp.resolve("spark-home");
    Files.createDirectories(home.resolve("jars"));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve(name + ".log").toFile());
    pb.environment().put("SPARK_HOME", home.toString());
    pb.environment().put("SPARK_SCALA_VERSION", "2.12");
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    // executors' shuffle and spill files inside the temp dir, deleted with it (workers are killed, not stopped)
    pb.environment().put("SPARK_LOCAL_DIRS", Files.createDirectories(tmp.resolve("local")).toString());
    started.add(pb.start());
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

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
