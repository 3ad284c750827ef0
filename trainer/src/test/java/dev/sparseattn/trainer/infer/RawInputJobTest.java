package dev.sparseattn.trainer.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparseattn.datasets.config.ConfigError;
import dev.sparseattn.datasets.config.DataError;
import dev.sparseattn.datasets.config.JobArgs;
import dev.sparseattn.datasets.manifest.InputInfo;
import dev.sparseattn.datasets.manifest.Manifest;
import dev.sparseattn.datasets.manifest.ShardInfo;
import dev.sparseattn.datasets.manifest.SplitInfo;
import dev.sparseattn.datasets.shard.FileDigest;
import dev.sparseattn.datasets.shard.ShardWriter;
import dev.sparseattn.datasets.tokenize.ByteTokenizer;
import dev.sparseattn.trainer.io.ModelArchive;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.attention.AttentionSpec;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import java.io.File;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.zip.GZIPOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * Score and Embed on raw input files with real Spark: the bits of every raw text document equal the bits of the same
 * document prepared first (written as rows {@code EOS + ids} of the model's width, scored by the prepared-data path),
 * a gzip file reads as its text, 1 and 2 tasks give the same output, bad records (invalid UTF-8, malformed JSON, a
 * missing field) are quarantined with their reason and the accounting adds up, and misconfigurations fail before any
 * Spark job naming the key.
 */
class RawInputJobTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path tmp;
  static Path model;
  static Path raw;
  static List<String> docs;

  @BeforeAll
  static void setUp() throws Exception {
    model = InferFixture.shared().resolve("model");
    docs = InferFixture.kjv(30).subList(10, 30);
    raw = tmp.resolve("raw");
    Files.createDirectories(raw);
    Files.write(raw.resolve("a.txt"), (String.join("\n", docs.subList(0, 12)) + "\n\n").getBytes(StandardCharsets.UTF_8));
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(raw.resolve("b.txt.gz")))) {
      out.write(String.join("\r\n", docs.subList(12, 20)).getBytes(StandardCharsets.UTF_8));
    }
  }

  @AfterAll
  static void stopSpark() {
    InferFixture.spark("local[2]").stop();
  }

  private static List<String> args(String job, String out, String... more) {
    List<String> a = new ArrayList<>(List.of(job + ".model=\"" + model + "\"",
        job + ".output=\"" + tmp.resolve(out) + "\"", job + ".batch-size=3"));
    a.addAll(List.of(more));
    return a;
  }

  private static ScoreConfig score(String out, String... more) {
    return ScoreConfig.parse(JobArgs.parseOverrides(args("score", out, more)));
  }

  /** "file#record" -> Parquet record, read without Spark. */
  private static Map<String, Group> byRecord(Path dir) throws Exception {
    Map<String, Group> m = new TreeMap<>();
    for (Group g : InferFixture.readParquet(dir)) {
      String file = g.getString("shard", 0);
      m.put(file.substring(file.lastIndexOf('/') + 1) + "#" + g.getLong("seq_id", 0), g);
    }
    return m;
  }

  @Test
  void rawTextScoresEqualTheSameDocumentsPreparedFirst() throws Exception {
    SparkSession spark = InferFixture.spark("local[2]");
    Map<String, Object> summary = Score.run(score("raw-1", "score.input=[\"" + raw.toUri() + "\"]",
        "score.partitions=1"), spark);
    Score.run(score("raw-2", "score.input=[\"" + raw.resolve("a.txt").toUri() + "\", \"" + raw.toUri()
        + "*.gz\"]", "score.partitions=2"), spark);
    Map<String, Group> one = byRecord(tmp.resolve("raw-1/scores"));
    Map<String, Group> two = byRecord(tmp.resolve("raw-2/scores"));
    assertEquals(20, one.size());
    assertEquals(one.keySet(), two.keySet());
    for (String k : one.keySet()) {
      assertEquals(one.get(k).getDouble("bits", 0), two.get(k).getDouble("bits", 0), 0.0, k);
    }
    Map<?, ?> records = (Map<?, ?>) summary.get("records");
    assertEquals(20L, records.get("read"));
    assertEquals(20L, records.get("written"));
    assertEquals(0L, records.get("quarantined"));

    // the same documents prepared first: rows EOS + ids cut to the model's width, scored by the prepared-data path
    Path prepared = tmp.resolve("prepared");
    int[] docOfRow = writePrepared(prepared, docs, 32);
    Score.run(ScoreConfig.parse(JobArgs.parseOverrides(args("score", "prepared-scores",
        "score.data=\"" + prepared.toUri() + "\""))), spark);
    double[] preparedBits = new double[docs.size()];
    int[] preparedTokens = new int[docs.size()];
    for (Group g : InferFixture.readParquet(tmp.resolve("prepared-scores/scores"))) {
      int doc = docOfRow[(int) g.getLong("seq_id", 0)];
      preparedBits[doc] += g.getDouble("bits", 0);
      preparedTokens[doc] += g.getInteger("n_tokens", 0);
    }
    for (int i = 0; i < docs.size(); i++) {
      String key = i < 12 ? "a.txt#" + i : "b.txt.gz#" + (i - 12);
      Group g = one.get(key);
      int bytes = docs.get(i).getBytes(StandardCharsets.UTF_8).length;
      assertEquals(preparedTokens[i], g.getInteger("n_tokens", 0), key);
      assertEquals(bytes, g.getLong("n_units", 0), key);
      assertEquals(preparedBits[i], g.getDouble("bits", 0), 1e-5 * preparedBits[i], key);
      assertEquals(preparedBits[i] / bytes, g.getDouble("bits_per_unit", 0), 1e-5, key);
    }
  }

  @Test
  void badRecordsAreQuarantinedWithTheirReason() throws Exception {
    Path bad = tmp.resolve("bad");
    Files.createDirectories(bad);
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    text.write("In the beginning\n".getBytes(StandardCharsets.UTF_8));
    text.write(new byte[] {'a', (byte) 0xff, (byte) 0xfe, 'b', '\n'});
    text.write("was the Word\n".getBytes(StandardCharsets.UTF_8));
    Files.write(bad.resolve("t.txt"), text.toByteArray());
    SparkSession spark = InferFixture.spark("local[2]");
    Map<String, Object> s = Score.run(score("bad-text", "score.input=[\"" + bad.resolve("t.txt").toUri() + "\"]"),
        spark);
    Map<?, ?> records = (Map<?, ?>) s.get("records");
    assertEquals(3L, records.get("read"));
    assertEquals(2L, records.get("written"));
    assertEquals(Map.of("invalid-utf8", 1L), records.get("by_reason"));
    List<JsonNode> q = quarantine(tmp.resolve("bad-text/quarantine"));
    assertEquals(1, q.size());
    assertEquals(1L, q.get(0).get("seq_id").asLong());
    assertTrue(q.get(0).get("shard").asText().endsWith("t.txt"));
    assertTrue(q.get(0).get("reason").asText().startsWith("invalid-utf8: "));

    Files.writeString(bad.resolve("j.jsonl"), "{\"text\": \"Let there be light\"}\n{\"text\": oops\n"
        + "{\"body\": \"no text\"}\n{\"text\": \"and there was light\"}\n");
    Map<String, Object> j = Embed.run(EmbedConfig.parse(JobArgs.parseOverrides(args("embed", "bad-json",
        "embed.input=[\"" + bad.resolve("j.jsonl").toUri() + "\"]", "embed.format=jsonl"))), spark);
    Map<?, ?> jr = (Map<?, ?>) j.get("records");
    assertEquals(4L, jr.get("read"));
    assertEquals(2L, jr.get("written"));
    assertEquals(Map.of("malformed-json", 1L, "missing-field", 1L), jr.get("by_reason"));
    Map<String, Group> e = byRecord(tmp.resolve("bad-json/embeddings"));
    assertEquals(List.of("j.jsonl#0", "j.jsonl#3"), new ArrayList<>(e.keySet()));
    // an embedding equals the one of the same document scored alone by DocumentScorer (here batched with another
    // document and padded, so equal within float rounding)
    List<DocumentScorer.Outcome> direct = DocumentScorer.score(ModelRef.resolve(model.toString(), new Configuration()),
        List.of("Let there be light"), 3, 0, true);
    float[] mean = InferFixture.floats(e.get("j.jsonl#0"), "mean");
    assertEquals(direct.get(0).mean().length, mean.length);
    for (int k = 0; k < mean.length; k++) {
      assertEquals(direct.get(0).mean()[k], mean[k], 1e-5, "mean[" + k + "]");
    }
    assertEquals(direct.get(0).positions(), e.get("j.jsonl#0").getInteger("n_positions", 0));
  }

  /**
   * A length-free model (rotary positions, causal sliding windows) trained on rows of 16 tokens reads raw documents in
   * windows of {@code score.window = 64}: the same documents prepared first as rows of 64 give the same bits. Windows
   * shorter than the model's, and longer ones for a model that is not length-free, are refused naming the key.
   */
  @Test
  void aLengthFreeModelReadsRawDocumentsInLongerWindows() throws Exception {
    ByteTokenizer bytes = new ByteTokenizer();
    TransformerConfig arch = new TransformerConfig(bytes.vocabSize(), 16, 16, 2, 2, 32, 7)
        .withAttention(AttentionSpec.slidingWindow(4, true)).withRotaryPositions();
    Path dir = tmp.resolve("window-model");
    Files.createDirectories(dir);
    File zip = dir.resolve("model.zip").toFile();
    TransformerLM.save(TransformerLM.build(arch, new Sgd(0.1)), arch, zip, false);
    ModelArchive.writeTokenizer(zip, bytes.describe());
    SparkSession spark = InferFixture.spark("local[2]");
    Function<String[], ScoreConfig> config = more -> {
      List<String> a = new ArrayList<>(List.of("score.model=\"" + dir + "\"", "score.batch-size=3"));
      a.addAll(List.of(more));
      return ScoreConfig.parse(JobArgs.parseOverrides(a));
    };
    Score.run(config.apply(new String[] {"score.output=\"" + tmp.resolve("window-raw") + "\"",
        "score.input=[\"" + raw.toUri() + "\"]", "score.window=64"}), spark);
    Path prepared = tmp.resolve("prepared-64");
    int[] docOfRow = writePrepared(prepared, docs, 64);
    Score.run(config.apply(new String[] {"score.output=\"" + tmp.resolve("window-prepared") + "\"",
        "score.data=\"" + prepared.toUri() + "\""}), spark);
    double[] preparedBits = new double[docs.size()];
    for (Group g : InferFixture.readParquet(tmp.resolve("window-prepared/scores"))) {
      preparedBits[docOfRow[(int) g.getLong("seq_id", 0)]] += g.getDouble("bits", 0);
    }
    Map<String, Group> rawScores = byRecord(tmp.resolve("window-raw/scores"));
    assertEquals(docs.size(), rawScores.size());
    for (int i = 0; i < docs.size(); i++) {
      String key = i < 12 ? "a.txt#" + i : "b.txt.gz#" + (i - 12);
      assertEquals(preparedBits[i], rawScores.get(key).getDouble("bits", 0), 1e-5 * preparedBits[i], key);
    }

    // overlapping windows: 16 tokens every 8, each target scored once with at least 8 tokens of context, which is
    // the whole receptive field of 2 layers of 4-token windows: the same bits as one window over each document
    Score.run(config.apply(new String[] {"score.output=\"" + tmp.resolve("strided") + "\"",
        "score.input=[\"" + raw.toUri() + "\"]", "score.stride=8"}), spark);
    Score.run(config.apply(new String[] {"score.output=\"" + tmp.resolve("whole") + "\"",
        "score.input=[\"" + raw.toUri() + "\"]", "score.window=1024"}), spark);
    Score.run(config.apply(new String[] {"score.output=\"" + tmp.resolve("disjoint") + "\"",
        "score.input=[\"" + raw.toUri() + "\"]"}), spark);
    Map<String, Group> strided = byRecord(tmp.resolve("strided/scores"));
    Map<String, Group> whole = byRecord(tmp.resolve("whole/scores"));
    Map<String, Group> disjoint = byRecord(tmp.resolve("disjoint/scores"));
    double largestCut = 0;
    for (String key : whole.keySet()) {
      double w = whole.get(key).getDouble("bits", 0);
      assertEquals(w, strided.get(key).getDouble("bits", 0), 1e-5 * w, key);
      assertEquals(whole.get(key).getInteger("n_tokens", 0), strided.get(key).getInteger("n_tokens", 0), key);
      assertEquals(whole.get(key).getInteger("n_tokens", 0), disjoint.get(key).getInteger("n_tokens", 0), key);
      largestCut = Math.max(largestCut, Math.abs(disjoint.get(key).getDouble("bits", 0) - w) / w);
    }
    // the equalities above hold to 1e-5; disjoint windows, which lose context at their cuts, must differ by more than
    // ten times that for them to mean anything (an untrained model leans on its context only weakly)
    assertTrue(largestCut > 1e-4, "disjoint windows of 16 should differ from one whole window: " + largestCut);

    int jobs = spark.sparkContext().statusTracker().getJobIdsForGroup(null).length;
    ConfigError wide = assertThrows(ConfigError.class, () -> Score.run(config.apply(new String[] {
        "score.output=\"" + tmp.resolve("s16") + "\"", "score.input=[\"" + raw.toUri() + "\"]", "score.stride=16"}),
        spark));
    assertTrue(wide.getMessage().contains("score.stride") && wide.getMessage().contains("below the window (16"),
        wide.getMessage());
    ConfigError embedStride = assertThrows(ConfigError.class, () -> EmbedConfig.parse(JobArgs.parseOverrides(List.of(
        "embed.model=\"" + dir + "\"", "embed.output=\"" + tmp.resolve("es") + "\"",
        "embed.input=[\"" + raw.toUri() + "\"]", "embed.stride=8"))));
    assertTrue(embedStride.getMessage().contains("embed.stride"), embedStride.getMessage());
    ConfigError shorter = assertThrows(ConfigError.class, () -> Score.run(config.apply(new String[] {
        "score.output=\"" + tmp.resolve("w8") + "\"", "score.input=[\"" + raw.toUri() + "\"]", "score.window=8"}),
        spark));
    assertTrue(shorter.getMessage().contains("score.window") && shorter.getMessage().contains("at least 16"),
        shorter.getMessage());
    ConfigError notFree = assertThrows(ConfigError.class, () -> Score.run(score("w64", "score.input=[\""
        + raw.toUri() + "\"]", "score.window=64"), spark));
    assertTrue(notFree.getMessage().contains("score.window") && notFree.getMessage().contains("rotary"),
        notFree.getMessage());
    ConfigError prepdata = assertThrows(ConfigError.class, () -> config.apply(new String[] {
        "score.output=\"" + tmp.resolve("wd") + "\"", "score.data=\"" + prepared.toUri() + "\"",
        "score.window=64"}));
    assertTrue(prepdata.getMessage().contains("score.window"), prepdata.getMessage());
    assertEquals(jobs, spark.sparkContext().statusTracker().getJobIdsForGroup(null).length);
  }

  @Test
  void misconfigurationFailsBeforeAnySparkJobNamingTheKey() throws Exception {
    ConfigError both = assertThrows(ConfigError.class, () -> score("x", "score.data=\"/d\"",
        "score.input=[\"/r\"]"));
    assertTrue(both.getMessage().contains("score.data"), both.getMessage());
    ConfigError none = assertThrows(ConfigError.class, () -> score("x"));
    assertTrue(none.getMessage().contains("score.data"), none.getMessage());
    ConfigError tokens = assertThrows(ConfigError.class, () -> score("x", "score.input=[\"/r\"]",
        "score.token-scores=true"));
    assertTrue(tokens.getMessage().contains("score.token-scores"), tokens.getMessage());
    ConfigError format = assertThrows(ConfigError.class, () -> score("x", "score.input=[\"/r\"]",
        "score.format=pdf"));
    assertTrue(format.getMessage().contains("score.format"), format.getMessage());

    SparkSession spark = InferFixture.spark("local[2]");
    int jobs = spark.sparkContext().statusTracker().getJobIdsForGroup(null).length;
    DataError dna = assertThrows(DataError.class, () -> Score.run(score("fasta", "score.input=[\"" + raw.toUri()
        + "\"]", "score.format=fasta"), spark));
    assertTrue(dna.getMessage().startsWith("score.format: format fasta does not fit the model's tokenizer 'byte'"),
        dna.getMessage());
    DataError missing = assertThrows(DataError.class, () -> Score.run(score("missing", "score.input=[\""
        + tmp.resolve("nothing-here").toUri() + "*.txt\"]"), spark));
    assertTrue(missing.getMessage().startsWith("score.input: no input at "), missing.getMessage());
    assertEquals(jobs, spark.sparkContext().statusTracker().getJobIdsForGroup(null).length);
    assertTrue(!Files.exists(tmp.resolve("fasta")) && !Files.exists(tmp.resolve("missing")));
  }

  private static List<JsonNode> quarantine(Path dir) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    try (var files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".json")).toList()) {
        for (String line : Files.readAllLines(f)) {
          out.add(JSON.readTree(line));
        }
      }
    }
    return out;
  }

  /**
   * A prepared dataset (byte tokenizer, rows of {@code seqLen + 1} ids, all in validation, no segment ids) holding
   * each document as {@code EOS + ids} cut into windows with stride {@code seqLen}; returns each row's document.
   */
  private static int[] writePrepared(Path dir, List<String> documents, int seqLen) throws Exception {
    ByteTokenizer tok = new ByteTokenizer();
    Configuration conf = new Configuration();
    List<Integer> owner = new ArrayList<>();
    long[] histogram = new long[tok.vocabSize()];
    long tokens = 0;
    long bytes = 0;
    String name = "validation/shard-00000.parquet";
    org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(dir.toUri().toString(), name);
    try (ShardWriter w = ShardWriter.create(file, conf, seqLen + 1)) {
      for (int d = 0; d < documents.size(); d++) {
        byte[] b = documents.get(d).getBytes(StandardCharsets.UTF_8);
        bytes += b.length;
        int[] ids = tok.encodeUtf8(b);
        int[] all = new int[ids.length + 1];
        all[0] = tok.eosId();
        System.arraycopy(ids, 0, all, 1, ids.length);
        for (int start = 0; start < all.length - 1; start += seqLen) {
          int n = Math.min(all.length - start, seqLen + 1);
          int[] row = new int[seqLen + 1];
          Arrays.fill(row, tok.padId());
          System.arraycopy(all, start, row, 0, n);
          for (int j = 0; j < n; j++) {
            histogram[row[j]]++;
          }
          tokens += n;
          w.write(owner.size(), row, n);
          owner.add(d);
        }
      }
    }
    long size = Files.size(dir.resolve(name));
    SplitInfo validation = new SplitInfo(owner.size(), owner.size(), tokens,
        List.of(new ShardInfo(name, owner.size(), size, FileDigest.sha256(file, conf), 0)), histogram);
    SplitInfo train = new SplitInfo(0, 0, 0, List.of(), new long[tok.vocabSize()]);
    Map<String, SplitInfo> splits = new HashMap<>(Map.of("train", train, "validation", validation));
    new Manifest(Manifest.SCHEMA_VERSION, "RawInputJobTest", tok.describe(), seqLen, "line", documents.size(), bytes,
        tokens, 1, List.of(new InputInfo("memory", documents.size(), bytes)), splits, Map.of())
        .write(dir.toUri().toString(), conf);
    return owner.stream().mapToInt(Integer::intValue).toArray();
  }
}
