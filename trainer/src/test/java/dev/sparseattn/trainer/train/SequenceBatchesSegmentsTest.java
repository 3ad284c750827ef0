package dev.sparseattn.trainer.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.datasets.shard.ShardRow;
import dev.sparseattn.datasets.tokenize.ByteTokenizer;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shards' segment ids reach the trainer: {@link SequenceBatches#segments} of every batch, shuffled with it. */
class SequenceBatchesSegmentsTest {

  @TempDir
  Path dir;

  @Test
  void segmentsFollowTheirRows() throws Exception {
    TinyDataset.write(dir, TrainJobTest.sampleLines(10), 32, 10, 4);
    PreparedDataset data = PreparedDataset.open(dir.toUri().toString(), new Configuration());
    int eos = new ByteTokenizer().eosId();
    int pad = new ByteTokenizer().padId();
    SequenceBatches training = SequenceBatches.training(data, 3, 7);
    int documents = 0;
    for (int step = 0; step < 10; step++) {                       // across shards and epochs
      int[][] rows = training.next();
      int[][] segments = training.segments();
      assertNotNull(segments, "step " + step);
      assertEquals(rows.length, segments.length);
      for (int b = 0; b < rows.length; b++) {
        int n = (int) java.util.Arrays.stream(rows[b]).filter(t -> t != pad).count();
        assertArrayEquals(ShardRow.segments(rows[b], n, eos), segments[b], "step " + step + " row " + b);
        documents = Math.max(documents, segments[b][n - 1] + 1);
      }
    }
    assertTrue(documents > 1, "packed rows of several documents");
    SequenceBatches inOrder = SequenceBatches.inOrder(data, Split.VALIDATION, 2);
    assertNotNull(inOrder.next());
    assertNotNull(inOrder.segments());
  }
}
