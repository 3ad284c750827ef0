package dev.sparseattn.pipeline.prepare;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.manifest.Manifest;
import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.datasets.shard.ShardReader;
import dev.sparseattn.datasets.shard.ShardRow;
import dev.sparseattn.pipeline.PrepareCorpus;
import dev.sparseattn.pipeline.TestSpark;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ids used by the packed streams are OR-ed on the executors ({@link UsedIds}), not sent to the
 * driver per chunk, and {@code prepare.shard-bytes} still sizes shards from all of them.
 */
class UsedIdsTest {
  @TempDir Path tmp;

  @Test
  void orOfBitSetsOfAnyLengthMergedAnyNumberOfTimes() {
    UsedIds a = new UsedIds();
    assertTrue(a.isZero());
    a.add(new long[] {0b101});
    a.add(new long[] {0b010, 1L << 63});
    UsedIds b = a.copy();
    b.reset();
    b.add(new long[] {0, 0, 7});
    a.merge(b);
    a.merge(b); // a retried task merged twice
    assertArrayEquals(new long[] {0b111, 1L << 63, 7}, a.value());
    assertEquals(7, UsedIds.count(a.value()));
  }

  /**
   * Many 1 KiB chunks, each using a few of 120 letters: rows per shard come from the bit width of all
   * ids used (7 bits), which no single chunk shows, computed here from the shards read back.
   */
  @Test
  void shardBytesSizesFromTheIdsOfAllChunks() throws IOException {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 3000; i++) {
      for (int j = 0; j < 20; j++) {
        text.append((char) (128 + (i / 25 + j % 3) % 120)); // two-byte UTF-8 letters, a few per region
      }
      text.append('\n');
    }
    Path in = tmp.resolve("letters.txt");
    Files.write(in, text.toString().getBytes(StandardCharsets.UTF_8));
    SparkSession spark = TestSpark.start("UsedIdsTest");
    try {
      String out = tmp.resolve("out").toUri().toString();
      long target = 16 << 10;
      PrepareResult r = PrepareCorpus.run(TestSpark.config(in.toUri().toString(), out, "seq-len = 256",
          "chunk-bytes = 1 KiB", "validation-fraction = 0", "shard-bytes = " + target, "invalid-utf8 = keep"), spark);
      Manifest m = r.manifest();
      assertTrue(m.chunks() > 50, "chunks: " + m.chunks());
      BitSet used = new BitSet();
      PreparedDataset data = PreparedDataset.open(out, new Configuration());
      for (org.apache.hadoop.fs.Path shard : data.shardPaths(Split.TRAIN)) {
        try (ShardReader reader = data.openShard(shard)) {
          for (ShardRow row; (row = reader.read()) != null; ) {
            for (int j = 0; j < row.nTokens(); j++) {
              used.set(row.tokens()[j]);
            }
          }
        }
      }
      int distinct = used.cardinality() + 1; // + PAD
      assertTrue(distinct > 64, "distinct ids " + distinct);
      int bits = 32 - Integer.numberOfLeadingZeros(distinct - 1);
      long sequences = m.split(Split.TRAIN).sequences();
      double rowBytes = 257 * bits / 8.0 + ShardSizing.SEGMENT_RUN * (1 + m.documents() / (double) sequences)
          + ShardSizing.ROW_OVERHEAD;
      assertEquals((long) Math.floor(target / rowBytes), m.split(Split.TRAIN).shards().get(0).rows());
    } finally {
      TestSpark.stop(spark);
    }
  }
}
