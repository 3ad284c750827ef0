package dev.sparseattn.trainer.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.config.JobArgs;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.parquet.example.data.Group;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code Score} and {@code Embed} write opens in a Parquet reader that shares no code with Spark or parquet-mr:
 * DuckDB's (in process, over JDBC). Every row, column type and value it reads equals what parquet-hadoop's reader
 * reads from the same files (the inference tests check those values against the model).
 */
class IndependentReaderTest {
  @TempDir static Path tmp;

  @AfterAll
  static void stopSpark() {
    InferFixture.spark("local[2]").stop();
  }

  private static Connection duckdb() throws Exception {
    return DriverManager.getConnection("jdbc:duckdb:");
  }

  private static String glob(Path dir) {
    return dir.toAbsolutePath() + "/*.parquet";
  }

  private static float[] floats(Array a) throws Exception {
    Object[] boxed = (Object[]) a.getArray();
    float[] out = new float[boxed.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = ((Number) boxed[i]).floatValue();
    }
    return out;
  }

  @Test
  void scoresReadTheSameInDuckDb() throws Exception {
    Path data = InferFixture.shared().resolve("data");
    Path model = InferFixture.shared().resolve("model");
    Score.run(ScoreConfig.parse(JobArgs.parseOverrides(List.of("score.data=\"" + data.toUri() + "\"",
        "score.model=\"" + model + "\"", "score.output=\"" + tmp.resolve("scores") + "\"", "score.batch-size=4",
        "score.token-scores=true"))), InferFixture.spark("local[2]"));
    Map<Long, Group> expected = new HashMap<>();
    for (Group g : InferFixture.readParquet(tmp.resolve("scores/scores"))) {
      expected.put(g.getLong("seq_id", 0), g);
    }
    assertTrue(expected.size() > 10, "rows scored: " + expected.size());
    int rows = 0;
    try (Connection c = duckdb(); Statement st = c.createStatement();
         ResultSet r = st.executeQuery("SELECT seq_id, n_tokens, bits, bits_per_token, n_units, bits_per_unit,"
             + " token_bits FROM read_parquet('" + glob(tmp.resolve("scores/scores")) + "') ORDER BY seq_id")) {
      assertEquals("BIGINT", r.getMetaData().getColumnTypeName(1));
      assertEquals("DOUBLE", r.getMetaData().getColumnTypeName(3));
      while (r.next()) {
        rows++;
        Group g = expected.get(r.getLong("seq_id"));
        assertEquals(g.getInteger("n_tokens", 0), r.getInt("n_tokens"));
        assertEquals(g.getDouble("bits", 0), r.getDouble("bits"), 0.0);
        assertEquals(g.getDouble("bits_per_token", 0), r.getDouble("bits_per_token"), 0.0);
        assertEquals(g.getLong("n_units", 0), r.getLong("n_units"));
        assertEquals(g.getDouble("bits_per_unit", 0), r.getDouble("bits_per_unit"), 0.0);
        assertArrayEquals(InferFixture.floats(g, "token_bits"), floats(r.getArray("token_bits")));
      }
    }
    assertEquals(expected.size(), rows);
  }

  @Test
  void embeddingsReadTheSameInDuckDb() throws Exception {
    Path data = InferFixture.shared().resolve("data");
    Path model = InferFixture.shared().resolve("model");
    Embed.run(EmbedConfig.parse(JobArgs.parseOverrides(List.of("embed.data=\"" + data.toUri() + "\"",
        "embed.model=\"" + model + "\"", "embed.output=\"" + tmp.resolve("emb") + "\"", "embed.batch-size=4"))),
        InferFixture.spark("local[2]"));
    Map<Long, Group> expected = new HashMap<>();
    for (Group g : InferFixture.readParquet(tmp.resolve("emb/embeddings"))) {
      expected.put(g.getLong("seq_id", 0), g);
    }
    int rows = 0;
    try (Connection c = duckdb(); Statement st = c.createStatement();
         ResultSet r = st.executeQuery("SELECT seq_id, n_positions, mean, last FROM read_parquet('"
             + glob(tmp.resolve("emb/embeddings")) + "')")) {
      while (r.next()) {
        rows++;
        Group g = expected.get(r.getLong("seq_id"));
        assertEquals(g.getInteger("n_positions", 0), r.getInt("n_positions"));
        assertArrayEquals(InferFixture.floats(g, "mean"), floats(r.getArray("mean")));
        assertArrayEquals(InferFixture.floats(g, "last"), floats(r.getArray("last")));
      }
    }
    assertEquals(expected.size(), rows);
    assertTrue(rows > 10, "rows embedded: " + rows);
  }
}
