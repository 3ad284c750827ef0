package dev.sparseattn.trainer.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparseattn.datasets.config.ConfigError;
import dev.sparseattn.datasets.config.JobArgs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.parquet.example.data.Group;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The streaming scorer with real Spark (local[2], a file source, one file per micro-batch): a query stopped midway
 * and restarted from its checkpoint, with its last batch's commit removed (a crash after the output was written but
 * before Spark recorded it), writes every document exactly once, with per-batch latency metrics.
 */
class StreamScoreTest {
  @TempDir Path tmp;

  private void drop(Path input, int file, List<String> all) throws Exception {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      lines.add("document " + file + "." + i + ": and God saw the light, that it was good");
    }
    all.addAll(lines);
    Path staged = tmp.resolve("staged-" + file + ".txt");
    Files.write(staged, lines);
    Files.move(staged, input.resolve("part-" + file + ".txt"));          // appear whole, as a file source expects
  }

  /** A window longer than the fixture model's (learned positions) stops the job before the query starts. */
  @Test
  void aLongerWindowThanTheModelReadsIsRefusedBeforeTheQuery() throws Exception {
    Path input = Files.createDirectories(tmp.resolve("in-window"));
    StreamScoreConfig config = StreamScoreConfig.parse(JobArgs.parseOverrides(List.of(
        "stream.model=\"" + InferFixture.shared().resolve("model") + "\"", "stream.input=\"" + input + "\"",
        "stream.output=\"" + tmp.resolve("out-window") + "\"",
        "stream.checkpoint=\"" + tmp.resolve("checkpoint-window") + "\"", "stream.window=4096")));
    SparkSession spark = InferFixture.spark("local[2]");
    int active = spark.streams().active().length;
    ConfigError e = assertThrows(ConfigError.class, () -> StreamScore.start(config, spark));
    assertTrue(e.getMessage().contains("stream.window") && e.getMessage().contains("rotary"), e.getMessage());
    assertEquals(active, spark.streams().active().length);
  }

  @Test
  void restartedQueryWritesEveryDocumentExactlyOnce() throws Exception {
    Path input = Files.createDirectories(tmp.resolve("in"));
    Path out = tmp.resolve("out");
    Path checkpoint = tmp.resolve("checkpoint");
    StreamScoreConfig config = StreamScoreConfig.parse(JobArgs.parseOverrides(List.of(
        "stream.model=\"" + InferFixture.shared().resolve("model") + "\"", "stream.input=\"" + input + "\"",
        "stream.output=\"" + out + "\"", "stream.checkpoint=\"" + checkpoint + "\"", "stream.batch-size=4")));
    SparkSession spark = InferFixture.spark("local[2]");
    List<String> sent = new ArrayList<>();
    drop(input, 0, sent);
    drop(input, 1, sent);
    StreamingQuery q = StreamScore.start(config, spark);
    q.processAllAvailable();
    q.stop();
    // a crash between writing batch 1's output and committing it: Spark must run batch 1 again
    Path lastCommit = checkpoint.resolve("commits/1");
    assertTrue(Files.exists(lastCommit), "two micro-batches, one file each");
    Files.delete(lastCommit);
    Files.deleteIfExists(checkpoint.resolve("commits/.1.crc"));
    drop(input, 2, sent);
    q = StreamScore.start(config, spark);
    q.processAllAvailable();
    q.stop();

    Map<String, Integer> seen = new HashMap<>();
    List<Path> batches;
    try (Stream<Path> dirs = Files.list(out)) {
      batches = dirs.filter(p -> p.getFileName().toString().startsWith("batch_id=")).sorted().toList();
    }
    assertEquals(3, batches.size(), batches.toString());
    for (Path b : batches) {
      for (Group g : InferFixture.readParquet(b)) {
        seen.merge(g.getString("value", 0), 1, Integer::sum);
        assertTrue(g.getDouble("bits", 0) > 0);
      }
    }
    assertEquals(sent.size(), seen.size());
    for (String doc : sent) {
      assertEquals(1, seen.get(doc), doc);
    }
    ObjectMapper json = new ObjectMapper();
    for (int id = 0; id < 3; id++) {
      JsonNode m = json.readTree(out.resolve("_metrics/batch-" + id + ".json").toFile());
      assertEquals(3, m.get("rows").asLong());
      assertTrue(m.get("latency_ms").asDouble() > 0);
    }
  }
}
