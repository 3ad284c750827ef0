package dev.sparseattn.trainer.infer;

import dev.sparseattn.datasets.config.Section;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Kafka source of {@code stream-score} ({@code stream.source = kafka}, keys under {@code stream.kafka}): Spark's
 * own Structured Streaming Kafka connector ({@code spark-sql-kafka-0-10}); a record's value (UTF-8) is a document.
 * Offsets are tracked in the query's checkpoint, so a restarted query resumes where its last committed batch ended.
 *
 * @param bootstrapServers {@code host:port} list of the brokers
 * @param topics the topics to subscribe to
 * @param startingOffsets where a query without a checkpoint starts: {@code earliest} or {@code latest}
 * @param maxOffsetsPerTrigger at most this many records per micro-batch, 0 for no limit
 * @param failOnDataLoss fail the query when offsets it needs were deleted (true) or skip them (false)
 */
public record KafkaSource(String bootstrapServers, List<String> topics, String startingOffsets,
                          long maxOffsetsPerTrigger, boolean failOnDataLoss) {

  /** Reads and validates the keys of {@code stream.kafka} (they are checked only when the source is Kafka). */
  static KafkaSource parse(Section k, boolean used) {
    String servers = k.string("bootstrap-servers", "");
    List<String> topics = k.strings("topics", List.of());
    String offsets = k.string("starting-offsets", "latest");
    long max = k.longValue("max-offsets-per-trigger", 0, 0, Long.MAX_VALUE);
    boolean failOnDataLoss = k.bool("fail-on-data-loss", true);
    if (!used) {
      return null;
    }
    k.check(!servers.isBlank(), "bootstrap-servers", "must name the brokers (host:port[,host:port...]) for"
        + " stream.source = kafka");
    k.check(servers.isBlank() || servers.trim().matches("[^\\s,:]+:\\d{1,5}(\\s*,\\s*[^\\s,:]+:\\d{1,5})*"),
        "bootstrap-servers", "must be host:port[,host:port...], got '" + servers + "'");
    k.check(!topics.isEmpty(), "topics", "must list at least one topic for stream.source = kafka");
    k.check(topics.stream().allMatch(t -> t.matches("[A-Za-z0-9._-]{1,249}")), "topics",
        "topic names are 1-249 characters of letters, digits, '.', '_' and '-', got " + topics);
    k.check(offsets.equals("earliest") || offsets.equals("latest"), "starting-offsets",
        "must be earliest or latest, got '" + offsets + "'");
    return new KafkaSource(servers.trim(), topics, offsets, max, failOnDataLoss);
  }

  /** The options of Spark's Kafka source ({@code spark.readStream().format("kafka").options(...)}). */
  public Map<String, String> options() {
    Map<String, String> o = new LinkedHashMap<>();
    o.put("kafka.bootstrap.servers", bootstrapServers);
    o.put("subscribe", String.join(",", topics));
    o.put("startingOffsets", startingOffsets);
    o.put("failOnDataLoss", Boolean.toString(failOnDataLoss));
    if (maxOffsetsPerTrigger > 0) {
      o.put("maxOffsetsPerTrigger", Long.toString(maxOffsetsPerTrigger));
    }
    return o;
  }
}
