package dev.sparseattn.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.datasets.manifest.RecordAccounting;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.datasets.shard.ShardReader;
import dev.sparseattn.datasets.shard.ShardRow;
import dev.sparseattn.pipeline.prepare.PrepareResult;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code format = parquet} on files written here with parquet-hadoop (small row groups, so a file is
 * many tasks): every non-null row of the chosen column is a document, in file and row order; null
 * rows, a file without the column and a truncated file are quarantined and the accounting adds up;
 * ids go to the metadata table with the file's row numbers.
 */
class ParquetInputTest {
  private static final MessageType SCHEMA = MessageTypeParser.parseMessageType(
      "message doc { optional binary text (UTF8); optional int64 id; optional binary other (UTF8); }");

  @TempDir static Path tmp;
  static SparkSession spark;

  @BeforeAll
  static void setUp() {
    spark = TestSpark.start("ParquetInputTest");
  }

  @AfterAll
  static void tearDown() {
    TestSpark.stop(spark);
  }

  @Test
  void everyRowOfTheColumnIsADocumentInFileOrder() throws IOException {
    Path dir = tmp.resolve("in");
    Files.createDirectories(dir);
    List<String> expected = new ArrayList<>();
    int nulls = 0;
    for (int f = 0; f < 2; f++) {
      Random r = new Random(f);
      org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(dir.resolve("part-" + f + ".parquet").toUri());
      try (ParquetWriter<Group> w = ExampleParquetWriter.builder(p).withType(SCHEMA).withRowGroupSize(8 << 10)
          .withPageSize(1024).build()) {
        SimpleGroupFactory rows = new SimpleGroupFactory(SCHEMA);
        for (int i = 0; i < 2000; i++) {
          Group g = rows.newGroup().append("id", 1000L * f + i).append("other", "x");
          if (i % 97 == 5) {
            nulls++;
          } else {
            String text = "file " + f + " row " + i + " " + Long.toHexString(r.nextLong());
            g.append("text", text);
            expected.add(text);
          }
          w.write(g);
        }
      }
      try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(p, new Configuration()))) {
        assertTrue(reader.getRowGroups().size() >= 4, "row groups: " + reader.getRowGroups().size());
      }
    }
    Files.write(dir.resolve("truncated.parquet"), Arrays.copyOf(Files.readAllBytes(dir.resolve("part-0.parquet")), 3000));
    ExampleParquetWriter.builder(new org.apache.hadoop.fs.Path(dir.resolve("no-text.parquet").toUri()))
        .withType(MessageTypeParser.parseMessageType("message doc { optional binary body (UTF8); }")).build().close();

    String out = tmp.resolve("out").toUri().toString();
    PrepareResult r = PrepareCorpus.run(TestSpark.config(dir.toUri().toString(), out, "format = parquet",
        "parquet { column = text, id-column = id }", "seq-len = 32768", "chunk-bytes = 4 KiB", "validation-fraction = 0"),
        spark);
    RecordAccounting acc = r.manifest().records();
    assertTrue(acc.consistent(), acc.toString());
    assertEquals("row", acc.unit());
    assertEquals(expected.size(), acc.emitted());
    assertEquals(Map.of("missing-field", (long) nulls, "unreadable", 1L, "missing-column", 1L), acc.byReason());
    assertEquals(expected, documents(out, expected.size()));

    List<String> metadata = lines(out + "/metadata");
    assertEquals(expected.size(), metadata.size());
    assertTrue(metadata.contains("{\"source\":\"" + dir.toUri().toString().replace("file:///", "file:/")
        + "part-1.parquet\",\"record\":1999,\"offset\":" + offsetOfLastRow(metadata) + ",\"meta\":{\"id\":\"2999\"}}"),
        metadata.get(metadata.size() - 1));
  }

  private static String offsetOfLastRow(List<String> metadata) {
    String last = metadata.stream().filter(l -> l.contains("\"id\":\"2999\"")).findFirst().orElseThrow();
    return last.replaceAll(".*\"offset\":(\\d+).*", "$1");
  }

  /** The documents of the train split, decoded (EOS 257 ends each), chunk by chunk. */
  private static List<String> documents(String out, int n) throws IOException {
    PreparedDataset data = PreparedDataset.open(out, new Configuration());
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    for (org.apache.hadoop.fs.Path shard : data.shardPaths(Split.TRAIN)) {
      try (ShardReader reader = data.openShard(shard)) {
        for (ShardRow row; (row = reader.read()) != null; ) {
          assertTrue(row.nTokens() <= 32768, "a row per packing chunk: no token shared with the next row");
          for (int j = 0; j < row.nTokens(); j++) {
            stream.write(row.tokens()[j] == 257 ? '\n' : row.tokens()[j]);
          }
        }
      }
    }
    return List.of(stream.toString(StandardCharsets.UTF_8).split("\n", -1)).subList(0, n);
  }

  private static List<String> lines(String dir) throws IOException {
    List<String> all = new ArrayList<>();
    try (Stream<Path> files = Files.list(Path.of(java.net.URI.create(dir)))) {
      for (Path p : files.filter(p -> p.getFileName().toString().endsWith(".jsonl")).sorted().toList()) {
        all.addAll(Files.readAllLines(p));
      }
    }
    return all;
  }
}
