package dev.sparseattn.trainer.train;

import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import dev.sparseattn.trainer.model.TransformerLM;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Exact average cross-entropy, in bits per target token, of a model on a split's packed sequences;
 * padding targets are excluded. With the byte tokenizer a token is a byte, so this is bits per byte.
 */
public final class Evaluator {
  private static final double LN2 = Math.log(2);

  private final PreparedDataset data;
  private final int batchSize;
  private final int maxSequences;
  private final boolean documentMask;

  /**
   * Evaluates at most {@code maxSequences} sequences of each split (0 for all), in seq_id order, with the document
   * mask (as training does by default, {@code train.document-mask}).
   */
  public Evaluator(PreparedDataset data, int batchSize, int maxSequences) {
    this(data, batchSize, maxSequences, true);
  }

  /**
   * As above; {@code documentMask}: packed documents attend within themselves (when the shards have
   * {@code segment_ids}), as the model was trained, so that figures are comparable.
   */
  public Evaluator(PreparedDataset data, int batchSize, int maxSequences, boolean documentMask) {
    this.data = data;
    this.batchSize = batchSize;
    this.maxSequences = maxSequences;
    this.documentMask = documentMask;
  }

  /** Result of one evaluation. */
  public record Result(double bitsPerToken, long tokens, long sequences) {}

  public Result evaluate(MultiLayerNetwork net, TransformerConfig arch, Split split) {
    return evaluate(net, arch, data.shardPaths(split));
  }

  /**
   * Evaluates the rows of the given shards (of one split) in order, at most {@code maxSequences} of
   * them; for instance one worker's share of a split in distributed evaluation.
   */
  public Result evaluate(MultiLayerNetwork net, TransformerConfig arch, List<Path> shards) {
    SequenceBatches batches = SequenceBatches.inOrder(data, shards, batchSize);
    int padId = data.tokenizer().padId();
    double nats = 0;
    long tokens = 0;
    long sequences = 0;
    int[][] rows;
    while ((rows = batches.next()) != null && (maxSequences == 0 || sequences < maxSequences)) {
      int[][] segments = documentMask ? batches.segments() : null;
      if (maxSequences > 0 && sequences + rows.length > maxSequences) {
        rows = Arrays.copyOf(rows, (int) (maxSequences - sequences));
        segments = segments == null ? null : Arrays.copyOf(segments, rows.length);
      }
      DataSet ds = TransformerLM.toDataSet(arch, rows, segments, padId, DataType.FLOAT);
      double[] sums = TransformerLM.sumNats(net, ds);
      nats += sums[0];
      tokens += (long) sums[1];
      sequences += rows.length;
    }
    return new Result(tokens == 0 ? Double.NaN : nats / tokens / LN2, tokens, sequences);
  }
}
