package dev.sparseattn.trainer.infer;

import dev.sparseattn.datasets.config.JobArgs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.parquet.example.data.Group;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End-to-end latency of {@link StreamScore} (not a timed test; prints its figures), with the file source (a writer
 * drops one-record files into the watched directory) and with the Kafka source (an embedded broker, a producer sends
 * the records), at {@code rate} records/s for {@code -Dbench.seconds} (default 20) seconds; a record's latency runs
 * from its being written or sent (the time written into the record) to its micro-batch's
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
    try (EmbeddedKafka kafka = new EmbeddedKafka(tmp.resolve("kafka-logs"))) {
      kafka.createTopic("docs", 2);
      try (KafkaProducer<String, String> producer = kafka.producer()) {
        for (String source : new String[] {"file", "kafka"}) {
          for (int rate : new int[] {1, 100}) {
            double[] ms = run(source, rate, seconds, kafka, producer);
            Arrays.sort(ms);
            System.out.printf("stream latency, %s source, %d records/s: %d records, median %.0f ms, p90 %.0f ms,"
                + " max %.0f ms%n", source, rate, ms.length, ms[ms.length / 2], ms[(int) (ms.length * 0.9)],
                ms[ms.length - 1]);
          }
        }
      }
    }
  }

  private double[] run(String source, int rate, int seconds, EmbeddedKafka kafka,
                       KafkaProducer<String, String> producer) throws Exception {
    String name = source + "-" + rate;
    Path input = Files.createDirectories(tmp.resolve("in-" + name));
    Path out = tmp.resolve("out-" + name);
    List<String> keys = new ArrayList<>(List.of(
        "stream.model=\"" + InferFixture.shared().resolve("model") + "\"",
        "stream.output=\"" + out + "\"", "stream.checkpoint=\"" + tmp.resolve("cp-" + name) + "\"",
        "stream.max-files-per-trigger=100000", "stream.batch-size=16"));
    if (source.equals("kafka")) {
      keys.addAll(List.of("stream.source=kafka", "stream.kafka.bootstrap-servers=\"" + kafka.servers() + "\"",
          "stream.kafka.topics=[docs]", "stream.kafka.starting-offsets=latest"));
    } else {
      keys.add("stream.input=\"" + input + "\"");
    }
    StreamScoreConfig config = StreamScoreConfig.parse(JobArgs.parseOverrides(keys));
    SparkSession spark = InferFixture.spark("local[2]");
    StreamingQuery q = StreamScore.start(config, spark);
    // warm-up: the first micro-batch loads the model and compiles the plan; it is not measured
    if (source.equals("kafka")) {
      q.processAllAvailable();                                                // pins the latest offsets first
      producer.send(new ProducerRecord<>("docs", "warm-up record")).get();
    } else {
      Files.writeString(input.resolve("warm-up.txt"), "warm-up record\n");
    }
    q.processAllAvailable();
    int total = rate * seconds;
    long start = System.nanoTime();
    for (int i = 0; i < total; i++) {
      long due = start + (long) (i * 1e9 / rate);
      long wait = due - System.nanoTime();
      if (wait > 0) {
        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
      }
      String record = "t=" + System.currentTimeMillis() + " record " + i + " and God saw the light";
      if (source.equals("kafka")) {
        producer.send(new ProducerRecord<>("docs", record));
      } else {
        Path staged = tmp.resolve("staged-" + name + "-" + i);
        Files.writeString(staged, record + "\n");
        Files.move(staged, input.resolve("r-" + i + ".txt"));
      }
    }
    producer.flush();
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
