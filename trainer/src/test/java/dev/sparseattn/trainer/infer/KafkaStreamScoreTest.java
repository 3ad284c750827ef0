package dev.sparseattn.trainer.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.config.JobArgs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * StreamScore over a real Kafka broker (embedded, KRaft mode, one node): a query restarted after a crash between
 * writing a micro-batch and committing it writes every record of the topic exactly once, and records sent while it
 * was down are scored after the restart. Slow: starts a broker.
 */
@Tag("slow")
class KafkaStreamScoreTest {
  @TempDir Path tmp;

  private static void send(EmbeddedKafka kafka, List<String> docs, List<String> sent) throws Exception {
    try (KafkaProducer<String, String> producer = kafka.producer()) {
      for (String d : docs) {
        producer.send(new ProducerRecord<>("docs", d)).get();
        sent.add(d);
      }
    }
  }

  @Test
  void restartedQueryWritesEveryRecordExactlyOnce() throws Exception {
    try (EmbeddedKafka kafka = new EmbeddedKafka(tmp.resolve("kafka-logs"))) {
      kafka.createTopic("docs", 2);
      String servers = kafka.servers();
      List<String> sent = new ArrayList<>();
      List<String> first = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        first.add("record " + i + ": and God saw the light, that it was good");
      }
      send(kafka, first, sent);
      Path out = tmp.resolve("out");
      Path checkpoint = tmp.resolve("checkpoint");
      StreamScoreConfig config = StreamScoreConfig.parse(JobArgs.parseOverrides(List.of(
          "stream.model=\"" + InferFixture.shared().resolve("model") + "\"", "stream.source=kafka",
          "stream.kafka.bootstrap-servers=\"" + servers + "\"", "stream.kafka.topics=[docs]",
          "stream.kafka.starting-offsets=earliest", "stream.kafka.max-offsets-per-trigger=3",
          "stream.output=\"" + out + "\"", "stream.checkpoint=\"" + checkpoint + "\"", "stream.batch-size=4")));
      SparkSession spark = InferFixture.spark("local[2]");
      StreamingQuery q = StreamScore.start(config, spark);
      q.processAllAvailable();
      q.stop();
      // a crash between writing the last batch's output and committing it: Spark must run that batch again
      long last;
      try (Stream<Path> commits = Files.list(checkpoint.resolve("commits"))) {
        last = commits.map(p -> p.getFileName().toString()).filter(n -> n.matches("\\d+")).mapToLong(Long::parseLong)
            .max().orElseThrow();
      }
      assertTrue(last >= 1, "at least two micro-batches of at most 3 records");
      Files.delete(checkpoint.resolve("commits/" + last));
      Files.deleteIfExists(checkpoint.resolve("commits/." + last + ".crc"));
      List<String> more = new ArrayList<>();
      for (int i = 6; i < 9; i++) {
        more.add("record " + i + ": sent while the query was down");
      }
      send(kafka, more, sent);
      q = StreamScore.start(config, spark);
      q.processAllAvailable();
      q.stop();

      Map<String, Integer> seen = new HashMap<>();
      try (Stream<Path> dirs = Files.list(out)) {
        for (Path b : dirs.filter(p -> p.getFileName().toString().startsWith("batch_id=")).sorted().toList()) {
          for (Group g : InferFixture.readParquet(b)) {
            seen.merge(g.getString("value", 0), 1, Integer::sum);
            assertTrue(g.getString("source", 0).startsWith("docs/"));
            assertTrue(g.getDouble("bits", 0) > 0);
          }
        }
      }
      assertEquals(sent.size(), seen.size(), seen.toString());
      for (String doc : sent) {
        assertEquals(1, seen.get(doc), doc);
      }
    }
  }
}
