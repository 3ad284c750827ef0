package dev.sparseattn.trainer.model;

import dev.sparseattn.trainer.model.network.TransformerConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Sgd;

/** Training behaviour in float32 with DL4J's workspaces. */
@ExtendWith(SingleThreadNd4j.class)
class TransformerTrainingTest {

    private static final TransformerConfig SMALL = new TransformerConfig(16, 12, 32, 4, 2, 64, 42);

    @Test
    void overfitsATinyFixedBatch() {
        MultiLayerNetwork net = TransformerLM.build(SMALL, new Adam(1e-2));
        DataSet batch = TransformerLM.toDataSet(SMALL,
                TransformerGradientCheckTest.rows(4, SMALL.seqLen(), SMALL.vocabSize(), 9), 0);
        double initial = TransformerLM.meanTokenLoss(net.score(batch), batch);
        assertEquals(Math.log(SMALL.vocabSize()), initial, 0.3, "initial loss should be about ln(vocab)");
        double loss = initial;
        for (int step = 0; step < 300 && loss >= 0.05; step++) {
            net.fit(batch);
            loss = TransformerLM.meanTokenLoss(net.score(), batch);
        }
        assertTrue(loss < 0.1, "loss after training: " + loss);
    }

    @Test
    void floatFitStepWithWorkspacesAndDeterministicEval() {
        MultiLayerNetwork net = TransformerLM.build(SMALL, new Adam(1e-3));
        assertEquals(WorkspaceMode.ENABLED, net.getLayerWiseConfigurations().getTrainingWorkspaceMode());
        DataSet batch = TransformerLM.toDataSet(SMALL,
                TransformerGradientCheckTest.rows(3, SMALL.seqLen(), SMALL.vocabSize(), 4), 0);
        INDArray before = net.params().dup();
        for (int i = 0; i < 3; i++) {
            net.fit(batch);
            assertTrue(Double.isFinite(net.score()));
        }
        assertEquals(DataType.FLOAT, net.params().dataType());
        assertNotEquals(before, net.params());

        INDArray out1 = net.output(batch.getFeatures(), false);
        INDArray out2 = net.output(batch.getFeatures(), false);
        ExactArrays.assertExactlyEqual(out1, out2, "inference must be deterministic");
        ExactArrays.assertExactlyEqual(out1, net.output(batch.getFeatures(), true), "train-mode output (no dropout)");
        INDArray probSums = out1.sum(2);
        assertEquals(0.0, probSums.sub(1.0).amaxNumber().doubleValue(), 1e-5);
    }

    @Test
    void workspaceModesGiveTheSameGradients() {
        DataSet batch = TransformerLM.toDataSet(SMALL,
                TransformerGradientCheckTest.rows(3, SMALL.seqLen(), SMALL.vocabSize(), 8), 0);
        INDArray[] gradients = new INDArray[2];
        double[] scores = new double[2];
        WorkspaceMode[] modes = {WorkspaceMode.ENABLED, WorkspaceMode.NONE};
        for (int i = 0; i < 2; i++) {
            MultiLayerConfiguration conf = TransformerLM.configuration(SMALL, new Sgd(0.1), DataType.FLOAT);
            conf.setTrainingWorkspaceMode(modes[i]);
            conf.setInferenceWorkspaceMode(modes[i]);
            MultiLayerNetwork net = new MultiLayerNetwork(conf);
            net.init();
            net.fit(batch);                      // twice, so the second pass runs in workspaces sized by the first
            net.setInput(batch.getFeatures());
            net.setLabels(batch.getLabels());
            net.setLayerMaskArrays(batch.getFeaturesMaskArray(), batch.getLabelsMaskArray());
            net.computeGradientAndScore();
            gradients[i] = net.gradient().gradient().dup();
            scores[i] = net.score();
        }
        assertEquals(scores[0], scores[1], 1e-6);
        assertEquals(0.0, gradients[0].sub(gradients[1]).amaxNumber().doubleValue(), 1e-6);
    }
}
