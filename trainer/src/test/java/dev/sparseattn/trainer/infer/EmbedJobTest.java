package dev.sparseattn.trainer.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sparseattn.datasets.config.JobArgs;
import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.datasets.shard.ShardReader;
import dev.sparseattn.datasets.shard.ShardRow;
import dev.sparseattn.trainer.model.TransformerLM;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The embed job with real Spark (local[2], batches of 4 rows, a padded row among full ones): each sequence's mean and last vectors equal the final
 * hidden states computed directly on the driver for that row alone ({@link TransformerLM#hiddenStates}); the Parquet
 * is read back with parquet-hadoop's reader.
 */
class EmbedJobTest {
  @TempDir Path tmp;

  @Test
  void embeddingsEqualHiddenStatesComputedDirectly() throws Exception {
    Path data = tmp.resolve("data");
    // every row in validation, so the split ends with the stream's last, padded row (batched with full rows)
    dev.sparseattn.trainer.train.TinyDataset.write(data, InferFixture.kjv(40), 32, 1, 7);
    Path model = InferFixture.shared().resolve("model");
    Map<String, Object> summary = Embed.run(EmbedConfig.parse(JobArgs.parseOverrides(List.of(
        "embed.data=\"" + data.toUri() + "\"", "embed.model=\"" + model + "\"",
        "embed.output=\"" + tmp.resolve("emb") + "\"", "embed.batch-size=4"))), InferFixture.spark("local[2]"));
    Map<Long, Group> out = new HashMap<>();
    for (Group g : InferFixture.readParquet(tmp.resolve("emb/embeddings"))) {
      out.put(g.getLong("seq_id", 0), g);
    }
    TransformerLM.Loaded local = TransformerLM.load(model.resolve("model.zip").toFile(), false);
    int d = local.config().dModel();
    assertEquals(d, summary.get("dimension"));
    PreparedDataset ds = PreparedDataset.open(data.toUri().toString(), new Configuration());
    int rows = 0;
    int padded = 0;
    for (org.apache.hadoop.fs.Path shard : ds.shardPaths(Split.VALIDATION)) {
      try (ShardReader r = ds.openShard(shard)) {
        for (ShardRow row; (row = r.read()) != null; rows++) {
          INDArray h = TransformerLM.hiddenStates(local.network(),
              TransformerLM.toDataSet(local.config(), new int[][] {row.tokens()},
                  row.segmentIds() == null ? null : new int[][] {row.segmentIds()}, 256,
                  org.nd4j.linalg.api.buffer.DataType.FLOAT));   // [1, 32, d]
          int n = Math.min(row.nTokens(), 32);
          padded += n < 32 ? 1 : 0;
          INDArray states = h.get(NDArrayIndex.point(0), NDArrayIndex.interval(0, n), NDArrayIndex.all());
          Group g = out.get(row.seqId());
          assertEquals(n, g.getInteger("n_positions", 0));
          assertClose(states.mean(0).toFloatVector(), InferFixture.floats(g, "mean"), "mean of " + row.seqId());
          assertClose(states.getRow(n - 1).toFloatVector(), InferFixture.floats(g, "last"), "last of " + row.seqId());
        }
      }
    }
    assertEquals(rows, out.size());
    assertEquals(1, padded, "the split ends with one padded row");
  }

  private static void assertClose(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], 1e-5f * Math.max(1f, Math.abs(expected[i])), what + " [" + i + "]");
    }
  }
}
