package dev.sparseattn.datasets.manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.config.DataError;
import dev.sparseattn.datasets.tokenize.ByteTokenizer;
import dev.sparseattn.datasets.tokenize.Tokenizers;
import java.io.IOException;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestTest {
  private final Configuration conf = new Configuration();

  @TempDir java.nio.file.Path tmp;

  static Manifest sample() {
    long[] trainHist = new long[ByteTokenizer.VOCAB_SIZE];
    trainHist['a'] = 700;
    trainHist[ByteTokenizer.EOS] = 40;
    long[] valHist = new long[ByteTokenizer.VOCAB_SIZE];
    valHist['b'] = 33;
    Map<String, SplitInfo> splits = new LinkedHashMap<>();
    splits.put("train", new SplitInfo(40, 5, 740, List.of(
        new ShardInfo("train/shard-00000.parquet", 4, 1234, "ab".repeat(32), 0),
        new ShardInfo("train/shard-00001.parquet", 1, 321, "cd".repeat(32), 4)), trainHist));
    splits.put("validation", new SplitInfo(2, 1, 33, List.of(
        new ShardInfo("validation/shard-00000.parquet", 1, 300, "ef".repeat(32), 0)), valHist));
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("input", List.of("data/sample/kjv-sample.txt.gz"));
    config.put("seq-len", 256);
    config.put("validation-fraction", 0.05);
    return new Manifest(Manifest.SCHEMA_VERSION, "test", new ByteTokenizer().describe(), 256, "line",
        42, 700, 742, 1, List.of(new InputInfo("file:/x/kjv.txt.gz", 42, 700)), splits, config);
  }

  @Test
  void jsonRoundTrip() {
    Manifest m = sample();
    String json = m.toJson();
    assertTrue(json.contains("\"schema_version\" : 2"), json);
    assertTrue(json.contains("\"token_histogram\""), json);
    assertTrue(json.contains("\"seq_len\" : 256"), json);
    Manifest back = Manifest.fromJson(json, "test");
    assertEquals(m, back);
    assertEquals(json, back.toJson());
    assertEquals(new ByteTokenizer(), Tokenizers.fromManifest(back));
    assertEquals(5, back.split(Split.TRAIN).sequences());
    assertEquals(1555, back.split(Split.TRAIN).bytes());
  }

  @Test
  void writeAndReadThroughTheFileSystem() throws IOException {
    Manifest m = sample();
    String dir = tmp.resolve("data").toUri().toString();
    m.write(dir, conf);
    assertEquals(m, Manifest.read(dir, conf));
    assertEquals(m, Manifest.read(dir + "/manifest.json", conf), "the manifest file itself");

    PreparedDataset d = PreparedDataset.open(dir, conf);
    List<Path> shards = d.shardPaths(Split.TRAIN);
    assertEquals(2, shards.size());
    assertTrue(shards.get(1).toString().endsWith("/data/train/shard-00001.parquet"), shards.get(1).toString());
    assertEquals(new ByteTokenizer(), d.tokenizer());

    m.write(dir, conf); // overwriting is fine
    assertEquals(m, Manifest.read(dir, conf));
  }

  @Test
  void directoryWithoutManifestSaysToRunPrepareCorpus() throws IOException {
    Files.createDirectories(tmp.resolve("empty"));
    String dir = tmp.resolve("empty").toUri().toString();
    DataError e = assertThrows(DataError.class, () -> Manifest.read(dir, conf));
    assertTrue(e.getMessage().contains("no manifest.json in " + dir), e.getMessage());
    assertTrue(e.getMessage().contains("run PrepareCorpus first"), e.getMessage());

    DataError missing = assertThrows(DataError.class, () -> Manifest.read(tmp.resolve("nope").toString(), conf));
    assertTrue(missing.getMessage().contains("dataset not found"), missing.getMessage());
  }

  static Manifest withRecords(RecordAccounting records) {
    Manifest m = sample();
    return new Manifest(m.schemaVersion(), m.createdBy(), m.tokenizer(), m.seqLen(), m.document(), m.documents(),
        m.inputBytes(), m.streamTokens(), m.chunks(), m.inputs(), m.splits(), m.prepareConfig(), "text", records);
  }

  // Version 1 manifests (no format, no record accounting) still read; version 2 round-trips its accounting.
  @Test
  void versionOneStillReadsAndAccountingRoundTrips() {
    String v1 = sample().toJson().replace("\"schema_version\" : 2", "\"schema_version\" : 1")
        .replaceAll(",\\s*\"format\" : null", "").replaceAll(",\\s*\"records\" : null", "");
    assertTrue(!v1.contains("\"format\"") && !v1.contains("\"records\" : null") && v1.contains("\"schema_version\" : 1"), v1);
    Manifest old = Manifest.fromJson(v1, "v1.json");
    assertEquals(1, old.schemaVersion());
    assertEquals(null, old.records());
    assertEquals(5, old.split(Split.TRAIN).sequences());

    RecordAccounting acc = new RecordAccounting("line", 45, 42, 3, 1, Map.of("invalid-utf8", 2L, "binary", 1L));
    Manifest m = withRecords(acc);
    String json = m.toJson();
    assertTrue(json.contains("\"quarantined\" : 3") && json.contains("\"binary\" : 1"), json);
    Manifest back = Manifest.fromJson(json, "m.json");
    assertEquals(acc, back.records());
    assertEquals("text", back.format());
    assertEquals(List.of("binary", "invalid-utf8"), List.copyOf(back.records().byReason().keySet()));
  }

  @Test
  void malformedOrUnsupportedManifestsAreDataErrors() throws IOException {
    DataError bad = assertThrows(DataError.class, () -> Manifest.fromJson("{ not json", "m.json"));
    assertTrue(bad.getMessage().startsWith("cannot parse m.json"), bad.getMessage());

    String v3 = sample().toJson().replace("\"schema_version\" : 2", "\"schema_version\" : 3");
    DataError version = assertThrows(DataError.class, () -> Manifest.fromJson(v3, "m.json"));
    assertTrue(version.getMessage().contains("schema_version 3 is not supported (this build reads 1 to 2)"),
        version.getMessage());

    String badCounts = withRecords(new RecordAccounting("line", 10, 7, 2, 0, Map.of("invalid-utf8", 2L))).toJson();
    DataError counts = assertThrows(DataError.class, () -> Manifest.fromJson(badCounts, "m.json"));
    assertTrue(counts.getMessage().contains("read must equal emitted + quarantined"), counts.getMessage());

    String noHist = sample().toJson().replaceFirst("\"token_histogram\" : \\[[^]]*]", "\"token_histogram\" : [ 1 ]");
    DataError hist = assertThrows(DataError.class, () -> Manifest.fromJson(noHist, "m.json"));
    assertTrue(hist.getMessage().contains("token_histogram"), hist.getMessage());
  }
}
