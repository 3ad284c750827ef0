package dev.sparseattn.trainer.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.network.LmParams;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The read-only inference methods against the network's own outputs, in double: the final hidden states projected
 * by the head give exactly the network's next-token probabilities, and per-token nats sum to DL4J's per-example
 * score, with padding in the batch.
 */
class HiddenStatesTest {
  private static final TransformerConfig CFG = new TransformerConfig(13, 10, 16, 2, 2, 32, 7);
  private static final int PAD = 12;

  private static int[][] rows() {
    return new int[][] {
        {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11},
        {3, 1, 4, 1, 5, 9, 2, 6, PAD, PAD, PAD},
        {0, 0, 7, PAD, PAD, PAD, PAD, PAD, PAD, PAD, PAD}};
  }

  @Test
  void hiddenStatesProjectToTheNetworksProbabilities() {
    MultiLayerNetwork net = TransformerLM.build(CFG, new Sgd(0.1), DataType.DOUBLE);
    DataSet batch = TransformerLM.toDataSet(CFG, rows(), PAD, DataType.DOUBLE);
    INDArray h = TransformerLM.hiddenStates(net, batch);                               // [3, 10, 16]
    assertArrayEquals(new long[] {3, 10, 16}, h.shape());
    INDArray w = net.getParam("0_" + LmParams.HEAD_W);                                 // [16, 13]
    INDArray b = net.getParam("0_" + LmParams.HEAD_B);
    INDArray logits = h.reshape(30, 16).mmul(w).addiRowVector(b);                      // [30, 13]
    INDArray probs = Transforms.softmax(logits, true);
    net.setLayerMaskArrays(batch.getFeaturesMaskArray(), null);
    INDArray expected = net.output(batch.getFeatures(), false, batch.getFeaturesMaskArray(), null).reshape(30, 13);
    assertEquals(0.0, probs.sub(expected).amaxNumber().doubleValue(), 1e-12);
  }

  @Test
  void tokenNatsSumToThePerExampleScore() {
    MultiLayerNetwork net = TransformerLM.build(CFG, new Sgd(0.1), DataType.DOUBLE);
    DataSet batch = TransformerLM.toDataSet(CFG, rows(), PAD, DataType.DOUBLE);
    INDArray perToken = TransformerLM.tokenNats(net, batch);                           // [3, 10]
    INDArray perRow = net.scoreExamples(batch, false);                                 // [3, 1]
    assertEquals(perRow.reshape(3), perToken.sum(1));
    // padded targets cost nothing; real ones cost something
    assertEquals(0.0, perToken.getDouble(1, 7));
    assertEquals(0.0, perToken.getDouble(2, 2));
    assertEquals(true, perToken.getDouble(2, 1) > 0);
    assertEquals(TransformerLM.sumNats(net, batch)[0], perToken.sumNumber().doubleValue(), 1e-12);
  }
}
