package dev.sparseattn.trainer.model.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.trainer.model.TransformerLM;
import java.util.Arrays;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Sgd;

class EmbeddingsTest {

    private static final TransformerConfig CFG = new TransformerConfig(3, 64, 32, 2, 1, 64, 1);

    /**
     * 1024 occurrences of one token: every row of the output gradient lands on the same embedding row (scatter_add
     * runs with its lock argument, as libnd4j parallelises over indices otherwise). Default ND4J threads.
     */
    @Test
    void repeatedTokensAccumulateWithoutRaces() {
        MultiLayerNetwork net = TransformerLM.build(CFG, new Sgd(0.1), DataType.DOUBLE);
        int[][] rows = new int[16][CFG.seqLen() + 1];
        for (int[] row : rows) {
            Arrays.fill(row, 1);
        }
        DataSet ds = TransformerLM.toDataSet(CFG, rows, 0, DataType.DOUBLE);
        net.setInput(ds.getFeatures());
        net.setLabels(ds.getLabels());
        net.computeGradientAndScore();
        INDArray dTok = net.gradient().getGradientFor("0_" + LmParams.TOKEN);   // [3, d]
        INDArray dPos = net.gradient().getGradientFor("0_" + LmParams.POSITION); // [64, d]
        // d tokEmb[1] = sum over all (b, t) of dOut[b, t] = sum over t of d posEmb[t]
        INDArray expected = dPos.sum(0);
        INDArray actual = dTok.get(NDArrayIndex.point(1), NDArrayIndex.all());
        assertEquals(0.0, actual.sub(expected).amaxNumber().doubleValue(), 1e-10 * expected.amaxNumber().doubleValue() + 1e-15);
        assertEquals(0.0, dTok.get(NDArrayIndex.point(0), NDArrayIndex.all()).amaxNumber().doubleValue());
        assertEquals(0.0, dTok.get(NDArrayIndex.point(2), NDArrayIndex.all()).amaxNumber().doubleValue());
    }

    /**
     * Inputs shorter than the position table, after a full-length batch: the position rows past L get gradient 0
     * (a table at a buffer offset where ND4J's view of the unused rows came out empty and backward failed).
     */
    @Test
    void shorterInputsGiveUnusedPositionRowsZeroGradient() {
        TransformerConfig config = new TransformerConfig(11, 12, 8, 2, 1, 16, 7);
        MultiLayerNetwork net = TransformerLM.build(config, new Sgd(0.1), DataType.DOUBLE);
        for (int len : new int[] {12, 7}) {
            int[][] rows = new int[2][len + 1];
            for (int t = 0; t <= len; t++) {
                rows[0][t] = 1 + t % 10;
                rows[1][t] = 10 - t % 10;
            }
            DataSet ds = TransformerLM.toDataSet(config, rows, 0, DataType.DOUBLE);
            net.setInput(ds.getFeatures());
            net.setLabels(ds.getLabels());
            net.setLayerMaskArrays(null, ds.getLabelsMaskArray());
            net.computeGradientAndScore();
            INDArray dPos = net.gradient().getGradientFor("0_" + LmParams.POSITION); // [12, d]
            INDArray perRow = dPos.dup().norm2(1);                                                        // [12]
            for (int t = 0; t < config.seqLen(); t++) {
                if (t < len) {
                    assertTrue(perRow.getDouble(t) > 0, "L = " + len + ", position " + t);
                } else {
                    assertEquals(0.0, perRow.getDouble(t), "L = " + len + ", position " + t);
                }
            }
        }
    }

    @Test
    void rejectsIdsOutsideTheVocabularyAndTooLongInputs() {
        MultiLayerNetwork net = TransformerLM.build(CFG, new Sgd(0.1));
        assertThrows(RuntimeException.class, () -> net.output(Nd4j.createFromArray(new float[][] {{0, 3}})));
        assertThrows(RuntimeException.class, () -> net.output(Nd4j.createFromArray(new float[][] {{-1, 0}})));
        assertThrows(RuntimeException.class, () -> net.output(Nd4j.zeros(DataType.FLOAT, 1, CFG.seqLen() + 1)));
    }
}
