package dev.sparseattn.datasets.shard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.config.DataError;
import dev.sparseattn.datasets.tokenize.ByteTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardRoundTripTest {
  static final int ROW = 17;
  private final Configuration conf = new Configuration();

  @TempDir java.nio.file.Path tmp;

  /** Rows of random byte ids; every 7th row ends with PAD like the tail of a packing chunk. */
  static List<ShardRow> rows(int n, long seed) {
    Random r = new Random(seed);
    List<ShardRow> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int real = i % 7 == 6 ? 1 + r.nextInt(ROW - 1) : ROW;
      int[] t = new int[ROW];
      Arrays.fill(t, ByteTokenizer.PAD);
      for (int j = 0; j < real; j++) {
        t[j] = r.nextInt(10) == 0 ? ByteTokenizer.EOS : r.nextInt(256);
      }
      rows.add(new ShardRow(1000 + i, t, real));
    }
    return rows;
  }

  private Path write(String name, List<ShardRow> rows) throws IOException {
    Path p = new Path(tmp.resolve(name).toUri());
    try (ShardWriter w = ShardWriter.create(p, conf, ROW)) {
      for (ShardRow row : rows) {
        w.write(row.seqId(), row.tokens(), row.nTokens());
      }
      assertEquals(rows.size(), w.rows());
    }
    return p;
  }

  @Test
  void writtenRowsReadBackIdentically() throws IOException {
    List<ShardRow> rows = rows(500, 1);
    Path p = write("a.parquet", rows);

    try (ShardReader r = ShardReader.open(p, conf)) {
      for (ShardRow expected : rows) {
        ShardRow got = r.read();
        assertEquals(expected.seqId(), got.seqId());
        assertEquals(expected.nTokens(), got.nTokens());
        assertArrayEquals(expected.tokens(), got.tokens(), "row " + expected.seqId());
      }
      assertNull(r.read());
    }
    // The iterator view gives the same rows.
    try (ShardReader r = ShardReader.open(p.toString(), conf)) {
      List<ShardRow> got = new ArrayList<>();
      r.forEachRemaining(got::add);
      assertEquals(rows.size(), got.size());
      assertArrayEquals(rows.get(499).tokens(), got.get(499).tokens());
      assertFalse(r.hasNext());
    }
  }

  @Test
  void fileHasTheDocumentedSchemaSnappyAndVersion() throws IOException {
    Path p = write("a.parquet", rows(50, 2));
    try (ParquetFileReader f = ParquetFileReader.open(HadoopInputFile.fromPath(p, conf))) {
      ParquetMetadata footer = f.getFooter();
      assertEquals(ShardSchema.SCHEMA, footer.getFileMetaData().getSchema());
      assertEquals("2", footer.getFileMetaData().getKeyValueMetaData().get(ShardSchema.VERSION_KEY));
      assertEquals(50, f.getRecordCount());
      footer.getBlocks().forEach(b -> b.getColumns().forEach(c ->
          assertEquals(CompressionCodecName.SNAPPY, c.getCodec())));
    }
  }

  @Test
  void sameRowsGiveByteIdenticalFiles() throws IOException {
    List<ShardRow> rows = rows(300, 3);
    Path a = write("a.parquet", rows);
    Path b = write("b.parquet", rows);
    assertEquals(FileDigest.sha256(a, conf), FileDigest.sha256(b, conf));
    assertEquals(64, FileDigest.sha256(a, conf).length());
    ShardWriter w = ShardWriter.create(new Path(tmp.resolve("c0.parquet").toUri()), conf, ROW);
    for (ShardRow row : rows) {
      w.write(row.seqId(), row.tokens(), row.nTokens());
    }
    assertThrows(IllegalStateException.class, w::sha256, "not before close()");
    w.close();
    assertEquals(FileDigest.sha256(a, conf), w.sha256(), "the writer's own checksum");
    assertEquals(Files.size(tmp.resolve("a.parquet")), w.bytes());
    Path c = write("c.parquet", rows(300, 4));
    assertFalse(FileDigest.sha256(a, conf).equals(FileDigest.sha256(c, conf)));
  }

  @Test
  void segmentIdsRoundTripAndVersionOneFilesStillRead() throws IOException {
    int[] tokens = {'a', 'b', ByteTokenizer.EOS, 'c', ByteTokenizer.EOS, 'd', ByteTokenizer.PAD, ByteTokenizer.PAD};
    int[] segments = ShardRow.segments(tokens, 6, ByteTokenizer.EOS);
    assertArrayEquals(new int[] {0, 0, 0, 1, 1, 2, -1, -1}, segments);
    Path p = new Path(tmp.resolve("seg.parquet").toUri());
    try (ShardWriter w = ShardWriter.create(p, conf, 8)) {
      w.write(0, tokens, 6, segments);
      w.write(1, tokens, 6);
    }
    try (ShardReader r = ShardReader.open(p, conf)) {
      assertArrayEquals(segments, r.read().segmentIds());
      assertNull(r.read().segmentIds(), "a row written without segment ids");
    }
    // A version 1 file: the three original columns only (as written before segment ids existed).
    MessageType v1 = MessageTypeParser.parseMessageType("message sparseattn_shard { required int64 seq_id;"
        + " required group tokens (LIST) { repeated group list { required int32 element; } }"
        + " required int32 n_tokens; }");
    Path old = new Path(tmp.resolve("v1.parquet").toUri());
    try (var w = ExampleParquetWriter.builder(old).withType(v1).withConf(conf).build()) {
      var g = new SimpleGroupFactory(v1).newGroup().append("seq_id", 7L).append("n_tokens", 2);
      var list = g.addGroup("tokens");
      list.addGroup("list").append("element", 97);
      list.addGroup("list").append("element", 98);
      w.write(g);
    }
    try (ShardReader r = ShardReader.open(old, conf)) {
      ShardRow row = r.read();
      assertEquals(7, row.seqId());
      assertArrayEquals(new int[] {97, 98}, row.tokens());
      assertNull(row.segmentIds());
    }
  }

  @Test
  void writerRejectsRowsOfTheWrongLength() throws IOException {
    Path p = new Path(tmp.resolve("bad.parquet").toUri());
    try (ShardWriter w = ShardWriter.create(p, conf, ROW)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> w.write(0, new int[ROW - 1], 3));
      assertTrue(e.getMessage().contains("expected 17 tokens"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> w.write(0, new int[ROW], ROW + 1));
    }
  }

  @Test
  void readingAMissingFileOrAnotherSchemaIsADataError() throws IOException {
    DataError missing = assertThrows(DataError.class,
        () -> ShardReader.open(new Path(tmp.resolve("none.parquet").toUri()), conf));
    assertTrue(missing.getMessage().contains("none.parquet"), missing.getMessage());

    MessageType other = MessageTypeParser.parseMessageType(
        "message other { required int64 seq_id; required binary text (UTF8); }");
    Path p = new Path(tmp.resolve("other.parquet").toUri());
    try (var w = ExampleParquetWriter.builder(p).withType(other).withConf(conf).build()) {
      w.write(new SimpleGroupFactory(other).newGroup().append("seq_id", 1L).append("text", "x"));
    }
    DataError e = assertThrows(DataError.class, () -> {
      try (ShardReader r = ShardReader.open(p, conf)) {
        r.read();
      }
    });
    assertTrue(e.getMessage().contains("other.parquet") && e.getMessage().contains("tokens"), e.getMessage());
    assertTrue(Files.exists(tmp.resolve("other.parquet")));
  }
}
