package dev.sparseattn.trainer.infer;

import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * One batched forward pass over rows of {@code L + 1} token ids (inputs {@code tokens[0..L-1]}, targets
 * {@code tokens[1..L]}, PAD only at the end): per-target surprisal, or final hidden states pooled per row. Rows of a
 * batch have one width; the network comes from {@link ModelCache}.
 */
public final class RowScorer {
  private static final double LN2 = Math.log(2);

  private RowScorer() {}

  /**
   * Per row, the surprisal {@code -log2 p} of each of its {@code n - 1} real targets ({@code n} its non-PAD ids);
   * {@code segments}: the rows' segment ids for the document mask, or null for none.
   */
  public static float[][] targetBits(MultiLayerNetwork net, TransformerConfig arch, int[][] rows, int[][] segments,
                                     int[] nTokens, int padId) {
    DataSet batch = TransformerLM.toDataSet(arch, rows, segments, padId, DataType.FLOAT);
    float[][] nats = TransformerLM.tokenNats(net, batch).toFloatMatrix();              // [B, L]
    float[][] out = new float[rows.length][];
    for (int i = 0; i < rows.length; i++) {
      int targets = Math.max(0, nTokens[i] - 1);
      out[i] = new float[targets];
      for (int j = 0; j < targets; j++) {
        out[i][j] = (float) (nats[i][j] / LN2);
      }
    }
    return out;
  }

  /** Total bits of the row's targets, summed in double from {@link #targetBits}'s nats. */
  public static double sumBits(float[] bits) {
    double s = 0;
    for (float b : bits) {
      s += b;
    }
    return s;
  }

  /** Pooled final hidden states of a row: the mean over its real input positions and the last of them. */
  public record Embedding(float[] mean, float[] last, int positions) {}

  /**
   * Per row, the mean and last final hidden state ({@link TransformerLM#hiddenStates}) over its real input positions
   * {@code 0..min(n, L) - 1}.
   */
  public static Embedding[] embed(MultiLayerNetwork net, TransformerConfig arch, int[][] rows, int[][] segments,
                                  int[] nTokens, int padId) {
    DataSet batch = TransformerLM.toDataSet(arch, rows, segments, padId, DataType.FLOAT);
    INDArray h = TransformerLM.hiddenStates(net, batch);                               // [B, L, d]
    long len = h.size(1);
    Embedding[] out = new Embedding[rows.length];
    for (int i = 0; i < rows.length; i++) {
      int positions = (int) Math.min(nTokens[i], len);
      if (positions == 0) {
        out[i] = new Embedding(null, null, 0);
        continue;
      }
      INDArray states = h.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i),
          org.nd4j.linalg.indexing.NDArrayIndex.interval(0, positions),
          org.nd4j.linalg.indexing.NDArrayIndex.all());                                 // [positions, d]
      out[i] = new Embedding(states.mean(0).toFloatVector(), states.getRow(positions - 1).toFloatVector(), positions);
    }
    return out;
  }
}
