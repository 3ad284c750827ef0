package dev.sparseattn.trainer.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.config.ConfigError;
import dev.sparseattn.datasets.config.JobArgs;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * {@code stream.source = kafka}: the keys map to the options of Spark's Kafka source, bad or missing keys fail at
 * parse time naming the key, and the source resolves with the real connector ({@code spark-sql-kafka-0-10}) into a
 * streaming frame of {@code source, value} strings. No broker runs here; {@link KafkaStreamScoreTest} (slow) runs one.
 */
class KafkaSourceTest {
  @AfterAll
  static void stopSpark() {
    InferFixture.spark("local[2]").stop();
  }

  private static StreamScoreConfig parse(String... more) {
    List<String> args = new ArrayList<>(List.of("stream.model=\"/m\"", "stream.output=\"/o\"",
        "stream.checkpoint=\"/c\""));
    args.addAll(List.of(more));
    return StreamScoreConfig.parse(JobArgs.parseOverrides(args));
  }

  private static String failure(String... more) {
    return assertThrows(ConfigError.class, () -> parse(more)).getMessage();
  }

  @Test
  void keysMapToTheConnectorsOptions() {
    StreamScoreConfig c = parse("stream.source=kafka", "stream.kafka.bootstrap-servers=\"127.0.0.1:9092, b2:9093\"",
        "stream.kafka.topics=[docs, more-docs]", "stream.kafka.starting-offsets=earliest",
        "stream.kafka.max-offsets-per-trigger=100");
    assertNull(c.input());
    assertEquals(Map.of("kafka.bootstrap.servers", "127.0.0.1:9092, b2:9093", "subscribe", "docs,more-docs",
        "startingOffsets", "earliest", "failOnDataLoss", "true", "maxOffsetsPerTrigger", "100"), c.kafka().options());
    StreamScoreConfig defaults = parse("stream.source=kafka", "stream.kafka.bootstrap-servers=\"k:9092\"",
        "stream.kafka.topics=[t]");
    assertEquals(Map.of("kafka.bootstrap.servers", "k:9092", "subscribe", "t", "startingOffsets", "latest",
        "failOnDataLoss", "true"), defaults.kafka().options());
    assertNull(parse("stream.input=\"/in\"").kafka());
  }

  @Test
  void badKeysFailNamingTheKey() {
    assertTrue(failure("stream.source=kafka", "stream.kafka.topics=[t]").contains("stream.kafka.bootstrap-servers"));
    assertTrue(failure("stream.source=kafka", "stream.kafka.bootstrap-servers=\"no-port\"", "stream.kafka.topics=[t]")
        .contains("stream.kafka.bootstrap-servers"));
    assertTrue(failure("stream.source=kafka", "stream.kafka.bootstrap-servers=\"k:1\"").contains("stream.kafka.topics"));
    assertTrue(failure("stream.source=kafka", "stream.kafka.bootstrap-servers=\"k:1\"", "stream.kafka.topics=[\"a b\"]")
        .contains("stream.kafka.topics"));
    assertTrue(failure("stream.source=kafka", "stream.kafka.bootstrap-servers=\"k:1\"", "stream.kafka.topics=[t]",
        "stream.kafka.starting-offsets=middle").contains("stream.kafka.starting-offsets"));
    assertTrue(failure("stream.source=kafka", "stream.kafka.bootstrap-servers=\"k:1\"", "stream.kafka.topics=[t]",
        "stream.input=\"/in\"").contains("stream.input"));
    assertTrue(failure("stream.source=kafak").contains("stream.source"));
    assertTrue(failure().contains("stream.input"));                        // the file source needs its directory
  }

  @Test
  void theSourceResolvesWithTheRealConnector() {
    SparkSession spark = InferFixture.spark("local[2]");
    Dataset<Row> docs = StreamScore.source(parse("stream.source=kafka",
        "stream.kafka.bootstrap-servers=\"127.0.0.1:9\"", "stream.kafka.topics=[docs]"), spark);
    assertTrue(docs.isStreaming());
    assertEquals(List.of("source", "value"), List.of(docs.schema().fieldNames()));
    assertEquals(DataTypes.StringType, docs.schema().apply("source").dataType());
    assertEquals(DataTypes.StringType, docs.schema().apply("value").dataType());
  }
}
