package dev.sparseattn.trainer.serve;

import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Per-token log-probabilities of a token sequence under the model, from one forward pass (the same batch
 * {@link TransformerLM#toDataSet} builds for training and {@link TransformerLM#sumNats} scores): token {@code t+1}
 * is scored given tokens {@code 0..t}. Not thread-safe: the decode thread, which owns the network, calls it.
 */
final class Scorer {
  private final MultiLayerNetwork net;
  private final TransformerConfig config;
  private final int padId;

  Scorer(MultiLayerNetwork net, int padId) {
    this.net = net;
    this.config = TransformerLM.config(net);
    this.padId = padId;
  }

  /** Natural log-probabilities of {@code ids[1..]}, each given the ids before it ({@code ids.length - 1} values). */
  double[] logProbs(int[] ids) {
    DataSet batch = TransformerLM.toDataSet(config, new int[][] {ids}, padId, net.params().dataType());
    int len = ids.length - 1;
    INDArray probs = net.output(batch.getFeatures(), false, batch.getFeaturesMaskArray(), null);  // [1, L, vocab]
    INDArray rows = probs.reshape(len, config.vocabSize());                                        // [L, vocab]
    double[] out = new double[len];                                                                // one per token
    for (int t = 0; t < len; t++) {
      out[t] = Math.log(rows.getDouble(t, ids[t + 1]));
    }
    return out;
  }
}
