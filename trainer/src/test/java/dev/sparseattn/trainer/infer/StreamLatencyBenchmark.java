package dev.sparseattn.trainer.infer;

import dev.sparseattn.datasets.config.JobArgs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.apache.parquet.example.data.Group;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End-to-end latency of {@link StreamScore} with the file source (not a timed test; prints its figures): a writer
 * drops one-record files into the watched directory at {@code rate} records/s for {@code -Dbench.seconds} (default
 * 20) seconds; a record's latency runs from its file appearing (the time written into the record) to its micro-batch's
 * output being committed (the {@code _SUCCESS} file of its {@code batch_id=<n>/} directory). At 1 and 100 records/s,
 * on {@code local[2]}, with the inference fixture's model, after one warm-up micro-batch (model load, plan).
 */
@Tag("slow")
class StreamLatencyBenchmark {
  @TempDir Path tmp;

  @Test
  void latencyAtOneAndOneHundredRecordsPerSecond() throws Exception {
    int seconds = Integer.getInteger("bench.seconds", 20);
    System.out.println("uptime: " + new String(new ProcessBuilder("uptime").start().getInputStream().readAllBytes())
        .trim());
    for (int rate : new int[] {1, 100}) {
      double[] ms = run(rate, seconds);
      Arrays.sort(ms);
      System.out.printf("stream latency at %d records/s: %d records, median %.0f ms, p90 %.0f ms, max %.0f ms%n",
          rate, ms.length, ms[ms.length / 2], ms[(int) (ms.length * 0.9)], ms[ms.length - 1]);
    }
  }

  private double[] run(int rate, int seconds) throws Exception {
    Path input = Files.createDirectories(tmp.resolve("in-" + rate));
    Path out = tmp.resolve("out-" + rate);
    StreamScoreConfig config = StreamScoreConfig.parse(JobArgs.parseOverrides(List.of(
        "stream.model=\"" + InferFixture.shared().resolve("model") + "\"", "stream.input=\"" + input + "\"",
        "stream.output=\"" + out + "\"", "stream.checkpoint=\"" + tmp.resolve("cp-" + rate) + "\"",
        "stream.max-files-per-trigger=100000", "stream.batch-size=16")));
    SparkSession spark = InferFixture.spark("local[2]");
    StreamingQuery q = StreamScore.start(config, spark);
    // warm-up: the first micro-batch loads the model and compiles the plan; it is not measured
    Files.writeString(input.resolve("warm-up.txt"), "warm-up record\n");
    q.processAllAvailable();
    int total = rate * seconds;
    long start = System.nanoTime();
    for (int i = 0; i < total; i++) {
      long due = start + (long) (i * 1e9 / rate);
      long wait = due - System.nanoTime();
      if (wait > 0) {
        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
      }
      Path staged = tmp.resolve("staged-" + rate + "-" + i);
      Files.writeString(staged, "t=" + System.currentTimeMillis() + " record " + i + " and God saw the light\n");
      Files.move(staged, input.resolve("r-" + i + ".txt"));
    }
    q.processAllAvailable();
    q.stop();
    List<Double> latencies = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(out)) {
      for (Path b : dirs.filter(p -> p.getFileName().toString().startsWith("batch_id=")).toList()) {
        long committed = Files.getLastModifiedTime(b.resolve("_SUCCESS")).toMillis();
        for (Group g : InferFixture.readParquet(b)) {
          String v = g.getString("value", 0);
          if (!v.startsWith("t=")) {
            continue;                                                         // the warm-up record
          }
          long written = Long.parseLong(v.substring(2, v.indexOf(' ')));
          latencies.add((double) (committed - written));
        }
      }
    }
    if (latencies.size() != total) {
      throw new AssertionError("scored " + latencies.size() + " of " + total + " records");
    }
    return latencies.stream().mapToDouble(Double::doubleValue).toArray();
  }
}
