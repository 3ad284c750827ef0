package dev.sparseattn.pipeline.bpe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.manifest.Manifest;
import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.datasets.shard.ShardReader;
import dev.sparseattn.datasets.shard.ShardRow;
import dev.sparseattn.datasets.tokenize.BpeTokenizer;
import dev.sparseattn.datasets.tokenize.BpeTrainer;
import dev.sparseattn.datasets.tokenize.ByteLevel;
import dev.sparseattn.pipeline.PrepareCorpus;
import dev.sparseattn.pipeline.TestSpark;
import dev.sparseattn.pipeline.prepare.PrepareResult;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * tokenizer = bpe: the BPE is trained on the cluster (pre-token counts aggregated across partitions),
 * saved as tokenizer.json, and used to pack the same corpus; the bundled KJV sample, split in 8
 * chunks of 256 KiB and 2 partitions.
 */
class BpePipelineTest {
  @TempDir static Path tmp;
  static SparkSession spark;
  static String text;
  static PrepareResult result;

  @BeforeAll
  static void setUp() throws IOException {
    spark = TestSpark.start("BpePipelineTest");
    Path sample = Path.of(System.getProperty("project.root.dir", ".."), "data", "sample", "kjv-sample.txt.gz");
    try (InputStream in = new GZIPInputStream(Files.newInputStream(sample))) {
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    Path plain = tmp.resolve("kjv.txt");
    Files.writeString(plain, text);
    result = PrepareCorpus.run(TestSpark.config(plain.toUri().toString(), tmp.resolve("out").toUri().toString(),
        "tokenizer = bpe", "bpe.vocab-size = 1000", "seq-len = 512", "validation-fraction = 0",
        "chunk-bytes = 256 KiB"), spark);
  }

  @AfterAll
  static void tearDown() {
    TestSpark.stop(spark);
  }

  @Test
  void theClusterTrainsWhatTheDriverAloneWouldAndSavesIt() throws IOException {
    Map<String, Long> counts = new HashMap<>();
    for (String line : text.split("\n")) {
      for (String piece : ByteLevel.split(line)) {
        counts.merge(piece, 1L, Long::sum);
      }
    }
    BpeTokenizer local = BpeTrainer.train(counts, new BpeTrainer.Settings(1000, 2, "<|pad|>", "<|endoftext|>"));
    PreparedDataset data = PreparedDataset.open(result.output(), new Configuration());
    assertEquals(local, data.tokenizer(), "the manifest's tokenizer");
    String json = Files.readString(Path.of(java.net.URI.create(result.output() + "/tokenizer.json")));
    assertEquals(local, BpeTokenizer.fromHuggingFaceJson(json), "tokenizer.json");
    Manifest m = data.manifest();
    assertEquals(1000, m.vocabSize());
    assertEquals(998, m.tokenizer().get("pad_id"));
    assertEquals(999, m.tokenizer().get("eos_id"));
  }

  @Test
  void theShardsDecodeBackToTheCorpus() throws IOException {
    PreparedDataset data = PreparedDataset.open(result.output(), new Configuration());
    Manifest m = data.manifest();
    assertEquals(12_000, m.documents());
    assertEquals(12_000, m.records().emitted());
    StringBuilder decoded = new StringBuilder();
    long previousChunkEnd = -1;
    for (org.apache.hadoop.fs.Path shard : data.shardPaths(Split.TRAIN)) {
      try (ShardReader reader = data.openShard(shard)) {
        for (ShardRow row; (row = reader.read()) != null; ) {
          // A row continuing its chunk repeats the previous row's last token; a chunk's first row does not.
          boolean continues = previousChunkEnd == row.tokens()[0];
          decoded.append(data.tokenizer().decode(row.tokens(), continues ? 1 : 0, row.nTokens()));
          previousChunkEnd = row.nTokens() == row.tokens().length ? row.tokens()[row.nTokens() - 1] : -1;
        }
      }
    }
    assertEquals(text, decoded.toString());
    double bytesPerToken = m.inputBytes() / (double) (m.streamTokens() - m.documents());
    assertTrue(bytesPerToken > 2.5, "a 1000-id BPE compresses KJV to " + bytesPerToken + " bytes per token");
  }
}
