package dev.sparseattn.trainer.distributed;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.trainer.report.MetricsLog;
import dev.sparseattn.trainer.train.TinyDataset;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Benchmark (not a timed test): the fraction of each round spent outside local training (serialise,
 * broadcast, worker setup, aggregate, apply) for several model sizes and averaging frequencies, 2 workers
 * on local[2] (or {@code -Dbench.master=spark://...}). The first round (replica construction, JIT) is
 * left out; rounds that average Adam's moments ({@code state_sync}: with {@code -Dbench.sync=S} every S rounds,
 * and always the last) and the others are also reported apart. Run: {@code mvn -B -pl trainer test -Pslow -Dtest=ParameterAveragingBenchmark
 * [-Dbench.models=128x5,320x8,640x10 -Dbench.frequencies=1,5,20 -Dbench.rounds=3 -Dbench.batch=4 -Dbench.len=32
 * -Dbench.prefetch=2 -Dbench.sync=0 -Dbench.conf=spark.key=value,...]}
 * where a model is {@code d-model x layers} (4 heads, ffn 4d, byte vocabulary).
 */
@Tag("slow")
class ParameterAveragingBenchmark {
  private static final String[] NAMES = {"serialise_s", "broadcast_s", "worker_setup_s", "worker_encode_s",
      "aggregate_s", "apply_s", "launch_s", "collect_s", "imbalance_s"};

  @TempDir Path tmp;

  @Test
  void outsideLocalTrainingFraction() throws Exception {
    String[] models = System.getProperty("bench.models", "128x5,320x8").split(",");
    String[] frequencies = System.getProperty("bench.frequencies", "1,5,20").split(",");
    int rounds = Integer.getInteger("bench.rounds", 3) + 1;
    int batch = Integer.getInteger("bench.batch", 4);
    int len = Integer.getInteger("bench.len", 32);
    Path data = tmp.resolve("data");
    TinyDataset.write(data, SparkTestSupport.sampleLines(600), len, 10, 64);
    // the results of a round of the 50M model (2 x 600 MB with Adam's moments) exceed the default 1g
    Map<String, String> settings = new java.util.HashMap<>(Map.of("spark.driver.maxResultSize", "0"));
    for (String kv : System.getProperty("bench.conf", "").split(",")) {   // extra Spark settings, k=v,k=v
      if (!kv.isBlank()) {
        settings.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
      }
    }
    System.out.println("Spark settings: " + settings);
    JavaSparkContext sc = SparkTestSupport.startSpark(settings);
    String prefetch = System.getProperty("bench.prefetch", "2");
    String sync = System.getProperty("bench.sync", "0");
    ObjectMapper json = new ObjectMapper();
    System.out.printf("%-10s %12s %4s %10s %10s %12s %10s   %s%n", "model", "parameters", "k", "round_s", "train_s",
        "outside_s", "outside%", String.join("/", NAMES) + " (aggregate = launch + collect + imbalance + rest)");
    try {
      for (String model : models) {
        String[] dl = model.split("x");
        for (String k : frequencies) {
          int steps = rounds * Integer.parseInt(k);
          DistributedConfig c = DistributedConfig.parse(SparkTestSupport.config(data, tmp.resolve("o").toString(),
              "train.model.d-model=" + dl[0], "train.model.layers=" + dl[1], "train.model.heads=4",
              "train.model.ffn-hidden=" + 4 * Integer.parseInt(dl[0]), "train.batch-size=" + batch,
              "train.steps=" + steps, "train.eval-every=" + (steps + 1), "train.eval-sequences=4",
              "distributed.workers=2", "distributed.averaging-frequency=" + k, "distributed.prefetch=" + prefetch,
              "distributed.state-sync-every=" + sync));
          ByteArrayOutputStream lines = new ByteArrayOutputStream();
          PreparedDataset d = PreparedDataset.open(data.toUri().toString(), new Configuration());
          var trained = new ParameterAveragingTrainer(c, sc, new java.io.PrintStream(new ByteArrayOutputStream()))
              .train(d, new MetricsLog(lines), null);
          double round = 0;
          double train = 0;
          double outside = 0;
          double[] parts = new double[NAMES.length];
          double[][] byKind = new double[2][3];   // [plain, sync] x {rounds, round_s, outside_s}
          String[] names = NAMES;
          for (String line : lines.toString(StandardCharsets.UTF_8).split("\n")) {
            Map<?, ?> m = json.readValue(line, Map.class);
            if ("train".equals(m.get("event")) && ((Number) m.get("round")).intValue() > 1) {
              round += ((Number) m.get("round_s")).doubleValue();
              train += ((Number) m.get("local_train_s")).doubleValue();
              outside += ((Number) m.get("outside_train_s")).doubleValue();
              StringBuilder each = new StringBuilder();
              for (String name : names) {
                each.append(each.length() == 0 ? "" : "/").append(String.format("%.2f", ((Number) m.get(name)).doubleValue()));
              }
              System.out.printf("  round %s (%s): %.2f s, outside %.2f s: %s%n", m.get("round"),
                  Boolean.TRUE.equals(m.get("state_sync")) ? "state-averaging" : "parameters-only",
                  ((Number) m.get("round_s")).doubleValue(), ((Number) m.get("outside_train_s")).doubleValue(), each);
              double[] kind = byKind[Boolean.TRUE.equals(m.get("state_sync")) ? 1 : 0];
              kind[0]++;
              kind[1] += ((Number) m.get("round_s")).doubleValue();
              kind[2] += ((Number) m.get("outside_train_s")).doubleValue();
              for (int i = 0; i < names.length; i++) {
                parts[i] += ((Number) m.get(names[i])).doubleValue();
              }
            }
          }
          StringBuilder split = new StringBuilder();
          for (double p : parts) {
            split.append(split.length() == 0 ? "" : "/").append(String.format("%.2f", p));
          }
          System.out.printf("%-10s %,12d %4s %10.2f %10.2f %12.2f %9.1f%%   %s%n", model,
              trained.network().numParams(), k, round, train, outside, 100 * outside / round, split);
          for (int i = 0; i < 2; i++) {
            if (byKind[i][0] > 0) {
              System.out.printf("  state-sync-every=%s, %s rounds: %.0f, outside %.2f of %.2f s, %.1f%%%n", sync,
                  i == 0 ? "parameters-only" : "state-averaging", byKind[i][0], byKind[i][2], byKind[i][1],
                  100 * byKind[i][2] / byKind[i][1]);
            }
          }
        }
      }
    } finally {
      sc.stop();
    }
  }
}
