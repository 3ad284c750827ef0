package dev.sparseattn.trainer.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.config.JobArgs;
import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.datasets.shard.ShardReader;
import dev.sparseattn.datasets.shard.ShardRow;
import dev.sparseattn.datasets.tokenize.ByteTokenizer;
import dev.sparseattn.pipeline.StandaloneCluster;
import dev.sparseattn.trainer.io.ModelArchive;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * Scoring throughput (not a timed test; prints its figures): tokens per second of the score job on {@code local[1]}
 * and {@code local[2]} against the single-machine forward pass of the same model on the same rows and batches (the
 * same {@link RowScorer} call, no Spark). Sizes: {@code -Dbench.lines} KJV verses (default 4000), rows of
 * {@code -Dbench.len} tokens (128), a {@code -Dbench.model} model (d x layers, 128x2), batches of 16. A second test
 * measures the same on the standalone cluster on 127.0.0.1 ({@code -Dtest='ScoreThroughputBenchmark#throughputOnTheStandaloneCluster'}).
 */
@Tag("slow")
class ScoreThroughputBenchmark {
  @TempDir Path tmp;

  /** The benchmark's model, dataset and validation rows, built once per test. */
  private record Bench(Path data, Path dir, TransformerConfig arch, MultiLayerNetwork loaded, List<ShardRow> rows,
                       long tokens, int pad, String model, int len, boolean documentMask) {
    double single() throws InterruptedException {
      return inFreshThread(() -> singleMachine(loaded, arch, rows, pad, documentMask));
    }

    Map<String, Object> score(SparkSession spark, Path out) throws Exception {
      Map<String, Object> s = Score.run(ScoreConfig.parse(JobArgs.parseOverrides(List.of(
          "score.data=\"" + data.toUri() + "\"", "score.model=\"" + dir + "\"",
          "score.output=\"" + out + "\"", "score.batch-size=16"))), spark);
      @SuppressWarnings("unchecked")
      Map<String, Object> totals = (Map<String, Object>) s.get("totals");
      System.out.printf("    job %.2f s: model pass and Parquet write %.2f s, accounting %.2f s%n", s.get("seconds"),
          s.get("seconds_model_and_write"), s.get("seconds_accounting"));
      assertEquals(tokens, ((Number) totals.get("tokens")).longValue());
      return totals;
    }
  }

  private Bench bench() throws Exception {
    int lines = Integer.getInteger("bench.lines", 4000);
    int len = Integer.getInteger("bench.len", 128);
    String[] model = System.getProperty("bench.model", "128x2").split("x");
    Path data = tmp.resolve("data");
    // shards of 64 rows by default (many tasks: per-task costs show); the prepare job writes 4,096 per shard
    int shardRows = Integer.getInteger("bench.shard-rows", 64);
    dev.sparseattn.trainer.train.TinyDataset.write(data, InferFixture.kjv(lines), len, 1, shardRows);
    ByteTokenizer tok = new ByteTokenizer();
    int d = Integer.parseInt(model[0]);
    TransformerConfig arch = new TransformerConfig(tok.vocabSize(), len, d, d / 32, Integer.parseInt(model[1]),
        4 * d, 1);
    MultiLayerNetwork net = TransformerLM.build(arch, new Sgd(0.1), DataType.FLOAT);
    Path dir = Files.createDirectories(tmp.resolve("model"));
    File zip = dir.resolve("model.zip").toFile();
    TransformerLM.save(net, arch, zip, false);
    ModelArchive.writeTokenizer(zip, tok.describe());

    PreparedDataset ds = PreparedDataset.open(data.toUri().toString(), new Configuration());
    List<ShardRow> rows = new ArrayList<>();
    for (org.apache.hadoop.fs.Path shard : ds.shardPaths(Split.VALIDATION)) {
      try (ShardReader r = ds.openShard(shard)) {
        for (ShardRow row; (row = r.read()) != null; ) {
          rows.add(row);
        }
      }
    }
    long tokens = rows.stream().mapToLong(r -> r.nTokens() - 1).sum();
    // the job scores packed rows under the document mask when the model was trained with it (as Evaluate does), so
    // the reference computes exactly that too
    boolean documentMask = ModelRef.resolve(dir.toString(), new Configuration()).documentMask()
        && rows.stream().allMatch(r -> r.segmentIds() != null);
    System.out.printf("score benchmark: %d rows in shards of %d, %d tokens, model %s, len %d, document mask %s; %s%n",
        rows.size(), shardRows, tokens, String.join("x", model), len, documentMask, uptime());
    return new Bench(data, dir, arch, TransformerLM.load(zip, false).network(), rows, tokens, tok.padId(),
        String.join("x", model), len, documentMask);
  }

  @Test
  void throughputAgainstTheSingleMachineForwardPass() throws Exception {
    Bench b = bench();
    MultiLayerNetwork loaded = b.loaded();
    // the reference runs in a fresh thread, as a Spark task does, and in the JUnit main thread: with libgomp's
    // spinning idle threads the main thread had measured 4-17x slower (README, "Native threads")
    double mainThread = singleMachine(loaded, b.arch(), b.rows(), b.pad(), b.documentMask());
    double single = b.single();
    System.out.printf("  single machine forward: %,.0f tokens/s in a fresh thread, %,.0f in the JUnit main thread%n",
        single, mainThread);
    for (String master : List.of("local[1]", "local[2]")) {
      int cores = master.equals("local[1]") ? 1 : 2;
      for (int run = 0; run < 2; run++) {                                                  // the first run loads
        Map<String, Object> totals = b.score(InferFixture.spark(master), tmp.resolve("out-" + cores + "-" + run));
        double rate = ((Number) totals.get("tokens_per_second")).doubleValue();
        System.out.printf("  %s run %d: %,.0f tokens/s (%,.0f per core), %.2fx the single-machine forward%n",
            master, run, rate, rate / cores, rate / single);
      }
    }
    InferFixture.spark("local[2]").stop();
    System.out.printf("  single machine forward again: %,.0f tokens/s (fresh thread)%n", b.single());
  }

  /**
   * The same on the standalone cluster on 127.0.0.1 ({@link StandaloneCluster}: a master and two single-core workers
   * as separate JVMs, the driver in this JVM, executors on this JVM's classpath), with {@code spark.cores.max} 1 and
   * then 2, two runs each (the first loads the model in each new executor JVM). Each executor's ND4J runs one thread
   * ({@code OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=1}) so that a Spark core is one core; the per-core reference is the
   * single-machine forward with libnd4j and the BLAS limited to one thread, also in a fresh thread, measured before
   * and after the cluster runs.
   */
  @Test
  void throughputOnTheStandaloneCluster() throws Exception {
    Bench b = bench();
    int defaultThreads = Nd4j.getEnvironment().maxThreads();
    double whole = b.single();
    double[] one = {0, 0};
    one[0] = oneThread(b, defaultThreads);
    System.out.printf("  single machine forward, fresh thread: %,.0f tokens/s with ND4J on 1 thread (the per-core "
        + "reference), %,.0f on %d threads%n", one[0], whole, defaultThreads);
    double[][] rates = new double[3][2];
    double[][] refs = new double[3][2];
    try (StandaloneCluster cluster = new StandaloneCluster(tmp, tmp.resolve("spark-home"),
        System.getProperty("java.class.path")).start(2, "1536m")) {
      for (int cores = 1; cores <= 2; cores++) {
        SparkSession spark = cluster.session("score-bench-" + cores, cores, "1g")
            .config("spark.executorEnv.OMP_NUM_THREADS", "1").config("spark.executorEnv.OPENBLAS_NUM_THREADS", "1")
            .config("spark.executor.extraJavaOptions", String.join(" ", StandaloneCluster.opens()) + " "
                + System.getProperty("bench.executor.flags", ""))                // e.g. a flight recording
            .getOrCreate();
        try {
          StandaloneCluster.awaitExecutors(spark, cores);
          for (int run = 0; run < 2; run++) {
            // the reference right before each run: the machine's speed drifts between runs
            refs[cores][run] = oneThread(b, defaultThreads);
            double rate = ((Number) b.score(spark, tmp.resolve("cluster-" + cores + "-" + run))
                .get("tokens_per_second")).doubleValue();
            rates[cores][run] = rate;
            System.out.printf("  standalone, %d worker(s) run %d: %,.0f tokens/s (%,.0f per core), per core %.2fx the "
                + "1-thread forward just before (%,.0f) (target >= 0.8x); %s%n", cores, run, rate, rate / cores,
                rate / cores / refs[cores][run], refs[cores][run], uptime());
          }
        } finally {
          spark.stop();
        }
      }
    }
    one[1] = oneThread(b, defaultThreads);
    double ref = (one[0] + one[1]) / 2;
    System.out.printf("  single machine forward again, 1 thread: %,.0f tokens/s; %s%n", one[1], uptime());
    for (int cores = 1; cores <= 2; cores++) {
      double perCore = rates[cores][1] / cores / refs[cores][1];
      System.out.printf("CLUSTER SCORE %d worker(s), second run: %,.0f tokens/s per core = %.2fx the 1-thread forward "
          + "just before it (%,.0f; %.2fx the mean of the first and last, %,.0f): %s the >= 0.8x target%n", cores,
          rates[cores][1] / cores, perCore, refs[cores][1], rates[cores][1] / cores / ref, ref,
          perCore >= 0.8 ? "meets" : "misses");
    }
  }

  /** The single-machine forward with libnd4j's and the BLAS's threads both limited to one, then restored. */
  private static double oneThread(Bench b, int threads) throws InterruptedException {
    int blas = Nd4j.factory().blas().getMaxThreads();
    Nd4j.getEnvironment().setMaxThreads(1);
    Nd4j.factory().blas().setMaxThreads(1);
    try {
      return b.single();
    } finally {
      Nd4j.getEnvironment().setMaxThreads(threads);
      Nd4j.factory().blas().setMaxThreads(blas);
    }
  }

  private static String uptime() throws java.io.IOException {
    return "load " + Files.readString(java.nio.file.Paths.get("/proc/loadavg")).trim() + " (1/5/15 min), "
        + Runtime.getRuntime().availableProcessors() + " cores";
  }

  private static double inFreshThread(java.util.function.DoubleSupplier work) throws InterruptedException {
    double[] out = new double[1];
    Thread t = new Thread(() -> out[0] = work.getAsDouble());
    t.start();
    t.join();
    return out[0];
  }

  /** Tokens per second of the same forward passes without Spark: batches of 16 within each shard of 64 rows. */
  private static double singleMachine(MultiLayerNetwork net, TransformerConfig arch, List<ShardRow> rows, int pad,
                                      boolean documentMask) {
    java.util.function.Function<List<ShardRow>, int[][]> segments = b -> documentMask
        ? b.stream().map(ShardRow::segmentIds).toArray(int[][]::new) : null;
    RowScorer.targetBits(net, arch, ShardPass.tokens(rows.subList(0, 16)), segments.apply(rows.subList(0, 16)),
        ShardPass.nTokens(rows.subList(0, 16)), pad);                                      // warm-up
    long t0 = System.nanoTime();
    long tokens = 0;
    for (int from = 0; from < rows.size(); from += 16) {
      List<ShardRow> b = rows.subList(from, Math.min(rows.size(), from + 16));
      for (float[] t : RowScorer.targetBits(net, arch, ShardPass.tokens(b), segments.apply(b), ShardPass.nTokens(b),
          pad)) {
        tokens += t.length;
      }
    }
    return tokens / ((System.nanoTime() - t0) / 1e9);
  }
}
