package dev.sparseattn.pipeline;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.pipeline.prepare.PrepareResult;
import java.io.BufferedWriter;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Peak heap of a 32k-vocabulary BPE preparation of one big generated text file (a benchmark, not a
 * timed test; {@code -Dbench.mb=N}, default 256; the input is written to a temp dir and deleted):
 * paragraphs of words drawn from a fixed 40,000-word vocabulary (so the distinct pre-tokens, which
 * the driver collects to learn the merges, do not grow with the input), read in splits of a fixed
 * size on {@code local[2]} ({@code -Dbench.split-mb}, default 64: a split is a partition of the
 * documents persisted for BPE training, and Spark reads a spilled partition back into one buffer, so
 * executor memory follows the split size; cutting the input into a fixed number of splits instead
 * made it grow with the input: 2 GB in 8 splits ran out of a 1 GB heap). Prints the input size, wall time, and the JVM's peak heap use and peak live heap
 * (heap in use right after a collection, the largest seen) and resident set size, sampled every 100 ms
 * (and printed every 30 s as the run goes, so a run stopped early still tells its peaks). In local mode the
 * driver and the executors share this JVM, so the figures bound both; with {@code -Dbench.cluster=true}
 * the job runs on a {@link StandaloneCluster} of two single-core workers ({@code -Dbench.executor-memory},
 * default 1g), the figures are the driver's alone, and the executors' peak resident sets follow. Run it at two sizes, with a
 * small heap, to see the peak not grow with the input:
 * {@code mvn -pl pipeline -am -Pslow test -Dtest=PrepareMemoryBenchmarkTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dbench.mb=1024 -Dtest.jvm.flags=-Xmx1g}.
 */
@Tag("slow")
class PrepareMemoryBenchmarkTest {
  @TempDir static Path tmp;

  @Test
  void bpe32kOnOneBigFile() throws Exception {
    long bytes = Long.getLong("bench.mb", 256) << 20;
    Path text = write(tmp.resolve("big.txt"), bytes);
    AtomicLong peakUsed = new AtomicLong();
    AtomicLong peakLive = new AtomicLong();
    AtomicLong peakRss = new AtomicLong();
    long start = System.nanoTime();
    long[] printed = {0};
    List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(p -> p.getType() == MemoryType.HEAP).toList();
    Thread sampler = new Thread(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        peakUsed.accumulateAndGet(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(), Math::max);
        long live = 0;
        for (MemoryPoolMXBean p : heap) {
          live += p.getCollectionUsage() == null ? 0 : p.getCollectionUsage().getUsed();
        }
        peakLive.accumulateAndGet(live, Math::max);
        peakRss.accumulateAndGet(rssKb("VmRSS:"), Math::max);
        long ms = (System.nanoTime() - start) / 1_000_000;
        if (ms / 30_000 > printed[0]) {
          printed[0] = ms / 30_000;
          System.out.printf(Locale.ROOT, "MEMORY progress at %d s: peak heap used %d MB, peak live heap %d MB,"
              + " peak RSS %d MB%n", ms / 1000, peakUsed.get() >> 20, peakLive.get() >> 20, peakRss.get() >> 10);
          System.out.flush();
        }
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          return;
        }
      }
    });
    sampler.setDaemon(true);
    boolean onCluster = Boolean.getBoolean("bench.cluster");
    String executorMemory = System.getProperty("bench.executor-memory", "1g");
    StandaloneCluster cluster = onCluster ? new StandaloneCluster(tmp, tmp.resolve("spark-home"),
        System.getProperty("java.class.path")).start(2, "2g") : null;
    SparkSession spark = onCluster ? cluster.session("memory", 2, executorMemory).getOrCreate()
        : SparkSession.builder().master("local[2]").appName("memory")
            .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
    try {
      if (onCluster) {
        StandaloneCluster.awaitExecutors(spark, 2);
      }
      System.gc();
      sampler.start();
      PrepareResult res = PrepareCorpus.run(TestSpark.config(text.toUri().toString(),
          tmp.resolve("out").toUri().toString(), "format = text", "document = paragraph", "tokenizer = bpe",
          "bpe { vocab-size = 32000 }", "seq-len = 1024", "split-size = " + (Long.getLong("bench.split-mb", 64) << 20)), spark);
      sampler.interrupt();
      sampler.join();
      assertTrue(res.manifest().documents() > 0);
      System.out.printf(Locale.ROOT,
          "MEMORY bpe-32k %.0f MB of text in %.1f s (%.2f MB/s): peak heap used %d MB, peak live heap %d MB,"
              + " max heap %d MB, peak RSS %d MB (sampled; VmHWM %d MB), %d documents, %d chunks%n",
          Files.size(text) / 1e6, res.wallMillis() / 1e3, Files.size(text) / 1e3 / res.wallMillis(),
          peakUsed.get() >> 20, peakLive.get() >> 20, Runtime.getRuntime().maxMemory() >> 20,
          peakRss.get() >> 10, rssKb("VmHWM:") >> 10, res.manifest().documents(), res.manifest().chunks());
      if (onCluster) {
        System.out.printf(Locale.ROOT, "MEMORY the figures above are the driver's alone; executors (-Xmx %s each),"
            + " peak RSS (VmHWM): %s MB%n", executorMemory, cluster.executors().stream()
                .map(e -> "" + (StandaloneCluster.statusKb(e.pid(), "VmHWM:") >> 10)).toList());
      }
    } finally {
      TestSpark.stop(spark);
      if (cluster != null) {
        cluster.close();
      }
      Files.deleteIfExists(text);
    }
  }

  /** A line of /proc/self/status in kB (VmRSS: resident now, VmHWM: peak resident), 0 where there is none. */
  private static long rssKb(String key) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(key)) {
          return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
        }
      }
    } catch (IOException | RuntimeException e) {
      return 0;
    }
    return 0;
  }

  /** Paragraphs of 20-200 words from a fixed vocabulary, Zipf-like frequencies. */
  private static Path write(Path p, long bytes) throws IOException {
    Random r = new Random(7);
    String[] vocab = new String[40_000];
    for (int i = 0; i < vocab.length; i++) {
      char[] c = new char[3 + r.nextInt(8)];
      for (int j = 0; j < c.length; j++) {
        c[j] = (char) ('a' + r.nextInt(26));
      }
      vocab[i] = new String(c);
    }
    long n = 0;
    StringBuilder s = new StringBuilder();
    try (BufferedWriter w = Files.newBufferedWriter(p, StandardCharsets.US_ASCII)) {
      while (n < bytes) {
        s.setLength(0);
        int words = 20 + r.nextInt(180);
        for (int i = 0; i < words; i++) {
          double u = r.nextDouble();
          s.append(i == 0 ? "" : " ").append(vocab[(int) (vocab.length * u * u * u)]);
        }
        s.append(".\n\n");
        w.append(s);
        n += s.length();
      }
    }
    return p;
  }
}
