package dev.sparseattn.trainer.model;

import dev.sparseattn.trainer.model.network.TransformerConfig;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.trainer.model.attention.AttentionSpec;
import dev.sparseattn.trainer.model.network.LmParams;
import java.io.File;
import java.nio.file.Path;
import java.util.Arrays;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;

@ExtendWith(SingleThreadNd4j.class)
class TransformerLMTest {

    private static final TransformerConfig CFG = new TransformerConfig(13, 10, 16, 2, 2, 32, 7);

    @Test
    void configValidationNamesTheField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TransformerConfig(13, 10, 15, 2, 2, 32, 7));
        assertTrue(e.getMessage().contains("dModel") && e.getMessage().contains("nHeads"), e.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new TransformerConfig(1, 10, 16, 2, 2, 32, 7))
                .getMessage().contains("vocabSize"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new TransformerConfig(13, 0, 16, 2, 2, 32, 7))
                .getMessage().contains("seqLen"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new TransformerConfig(13, 10, 16, 2, 0, 32, 7))
                .getMessage().contains("nLayers"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new TransformerConfig(13, 10, 16, 2, 2, 0, 7))
                .getMessage().contains("ffnHidden"));
        assertEquals(CFG, TransformerConfig.fromJson(CFG.toJson()));
        assertEquals(64, TransformerConfig.gpt(13, 10, 16, 2, 2, 7).ffnHidden());
    }

    /**
     * A rotary, sliding-window model built for longer rows ({@link TransformerLM#atLength}) scores each token of a long
     * row exactly as the trained-length model scores the same token at the end of the row of its preceding context:
     * the window and relative positions make the function independent of where the row starts.
     */
    @Test
    void aLengthFreeModelReadsLongerRowsAsItsOwnWindows() {
        int len = 8;
        int window = 3;
        TransformerConfig c = new TransformerConfig(13, len, 16, 2, 2, 32, 7)
                .withAttention(AttentionSpec.slidingWindow(window, true))
                .withRotaryPositions();
        assertTrue(TransformerLM.lengthFree(c));
        MultiLayerNetwork net = TransformerLM.build(c, new Adam(1e-3), DataType.DOUBLE);
        TransformerLM.Loaded longer = TransformerLM.atLength(new TransformerLM.Loaded(net, c), 3 * len);
        assertEquals(3 * len, longer.config().seqLen());
        java.util.Random random = new java.util.Random(3);
        int[] ids = random.ints(3 * len + 1, 0, 13).toArray();
        INDArray whole = TransformerLM.tokenNats(longer.network(),
                TransformerLM.toDataSet(longer.config(), new int[][] {ids}, 12, DataType.DOUBLE));   // [1, 3 len]
        for (int p = 0; p < 3 * len; p++) {
            int from = Math.max(0, p + 1 - len);                  // the trained-length row ending with target p + 1
            int[] row = Arrays.copyOfRange(ids, from, p + 2);
            INDArray part = TransformerLM.tokenNats(net, TransformerLM.toDataSet(c, new int[][] {row}, 12,
                    DataType.DOUBLE));
            assertEquals(part.getDouble(0, row.length - 2), whole.getDouble(0, p), 1e-9, "target " + (p + 1));
        }
        TransformerConfig learned = new TransformerConfig(13, len, 16, 2, 2, 32, 7)
                .withAttention(AttentionSpec.slidingWindow(window, true));
        assertTrue(!TransformerLM.lengthFree(learned) && !TransformerLM.lengthFree(c.withAttention(
                AttentionSpec.dense(true))));
        assertThrows(IllegalArgumentException.class, () -> TransformerLM.atLength(new TransformerLM.Loaded(
                TransformerLM.build(learned, new Adam(1e-3)), learned), 2 * len));
    }

    @Test
    void dataSetShiftsTargetsAndMasksPadding() {
        int[][] rows = {{5, 6, 7, 8, 0, 0}, {1, 2, 3, 4, 5, 6}};
        DataSet ds = TransformerLM.toDataSet(CFG, rows, 0);
        assertArrayEquals(new long[] {2, 5}, ds.getFeatures().shape());
        assertEquals(Nd4j.createFromArray(new float[][] {{5, 6, 7, 8, 0}, {1, 2, 3, 4, 5}}), ds.getFeatures());
        // labels are the target ids (no one-hot [batch, L, vocab] array)
        assertEquals(Nd4j.createFromArray(new float[][] {{6, 7, 8, 0, 0}, {2, 3, 4, 5, 6}}), ds.getLabels());
        assertEquals(Nd4j.createFromArray(new float[][] {{1, 1, 1, 0, 0}, {1, 1, 1, 1, 1}}), ds.getLabelsMaskArray());
        assertThrows(IllegalArgumentException.class, () -> TransformerLM.toDataSet(CFG, new int[][] {{1, 13}}, 0));
        assertThrows(IllegalArgumentException.class, () -> TransformerLM.toDataSet(CFG, new int[][] {{1, 2}, {1}}, 0));
        assertThrows(IllegalArgumentException.class, () -> TransformerLM.toDataSet(CFG, new int[][] {new int[12]}, 0));
    }

    @Test
    void featuresMaskIsPresentExactlyWhenAnInputIsPadding() {
        // the first row's last input is padding: both kinds of network get the same features mask
        int[][] padded = {{5, 6, 7, 8, 0, 0}, {1, 2, 3, 4, 5, 6}};
        INDArray expected = Nd4j.createFromArray(new double[][] {{1, 1, 1, 1, 0}, {1, 1, 1, 1, 1}});
        TransformerConfig fused = CFG.withFfnChunk(4);
        for (TransformerConfig config : new TransformerConfig[] {CFG, fused}) {
            DataSet ds = TransformerLM.toDataSet(config, padded, 0, DataType.DOUBLE);
            assertEquals(expected, ds.getFeaturesMaskArray());
            assertEquals(DataType.DOUBLE, ds.getFeaturesMaskArray().dataType());
            assertEquals(Nd4j.createFromArray(new double[][] {{1, 1, 1, 0, 0}, {1, 1, 1, 1, 1}}),
                    ds.getLabelsMaskArray());
        }
        assertEquals(DataType.FLOAT, TransformerLM.toDataSet(CFG, padded, 0).getFeaturesMaskArray().dataType());
        // only a target is padding (the last one): inputs are all real, no features mask; the loss still masks it
        DataSet lastTargetOnly = TransformerLM.toDataSet(CFG, new int[][] {{5, 6, 7, 8, 9, 0}, {1, 2, 3, 4, 5, 6}}, 0);
        assertNull(lastTargetOnly.getFeaturesMaskArray());
        assertEquals(9.0, lastTargetOnly.getLabelsMaskArray().sumNumber().doubleValue());
        assertNull(TransformerLM.toDataSet(fused, new int[][] {{1, 2, 3}}, 0).getFeaturesMaskArray());
        // the pad id is whatever the tokenizer says
        assertEquals(Nd4j.createFromArray(new float[][] {{1, 0, 0}}),
                TransformerLM.toDataSet(CFG, new int[][] {{3, 12, 12, 12}}, 12).getFeaturesMaskArray());
    }

    @Test
    void initialisationFollowsGpt2() {
        MultiLayerNetwork net = TransformerLM.build(CFG, new Adam(1e-3));
        long d = CFG.dModel();
        long f = CFG.ffnHidden();
        long block = 2 * d + d * 3 * d + 3 * d + d * d + d + 2 * d + d * f + f + f * d + d;
        long expected = (CFG.vocabSize() + CFG.seqLen()) * d + CFG.nLayers() * block + 2 * d
                + d * CFG.vocabSize() + CFG.vocabSize();
        assertEquals(expected, net.numParams());
        INDArray gain = net.getLayer(0).getParam(LmParams.block(0, LmParams.LN1_GAIN));
        assertEquals(Nd4j.ones(DataType.FLOAT, d), gain);
        assertEquals(0.0, net.getLayer(0).getParam(LmParams.block(0, LmParams.B_QKV)).amaxNumber().doubleValue());
        double std = net.getLayer(0).getParam(LmParams.block(0, LmParams.W_QKV)).stdNumber().doubleValue();
        assertEquals(0.02, std, 0.004);
        double residualStd = net.getLayer(0).getParam(LmParams.block(0, LmParams.W_2)).stdNumber().doubleValue();
        assertEquals(0.02 / Math.sqrt(2 * CFG.nLayers()), residualStd, 0.002);
        // same seed, same parameters
        ExactArrays.assertExactlyEqual(net.params(), TransformerLM.build(CFG, new Adam(1e-3)).params(), "seeded init");
        // the parameter table is a view of the flat parameter vector
        net.getLayer(0).getParam(LmParams.block(0, LmParams.B_O)).assign(3);
        assertEquals(3.0 * d, net.params().sumNumber().doubleValue()
                - TransformerLM.build(CFG, new Adam(1e-3)).params().sumNumber().doubleValue(), 1e-3);
    }

    @Test
    void networkIsCausal() {
        MultiLayerNetwork net = TransformerLM.build(CFG, new Adam(1e-3));
        INDArray ids = Nd4j.createFromArray(new float[][] {{3, 1, 4, 1, 5, 9, 2, 6, 5, 3}});
        INDArray before = net.output(ids);
        for (int t = 0; t < 10; t++) {
            INDArray changed = ids.dup();
            changed.putScalar(0, t, (ids.getDouble(0, t) + 7) % CFG.vocabSize());
            INDArray after = net.output(changed);
            if (t > 0) {
                ExactArrays.assertExactlyEqual(
                        before.get(NDArrayIndex.all(), NDArrayIndex.interval(0, t), NDArrayIndex.all()),
                        after.get(NDArrayIndex.all(), NDArrayIndex.interval(0, t), NDArrayIndex.all()),
                        "token " + t + " changed earlier outputs");
            }
            assertNotEquals(before.get(NDArrayIndex.all(), NDArrayIndex.point(t), NDArrayIndex.all()),
                    after.get(NDArrayIndex.all(), NDArrayIndex.point(t), NDArrayIndex.all()));
        }
    }

    @Test
    void nextTokenLogProbs() {
        MultiLayerNetwork net = TransformerLM.build(CFG, new Adam(1e-3));
        int[] context = {3, 1, 4, 1, 5};
        double[] logp = TransformerLM.nextTokenLogProbs(net, context);
        assertEquals(CFG.vocabSize(), logp.length);
        assertEquals(1.0, Arrays.stream(logp).map(Math::exp).sum(), 1e-9);
        INDArray probs = net.output(Nd4j.createFromArray(new float[][] {{3, 1, 4, 1, 5}}));   // [1, 5, vocab]
        for (int v = 0; v < logp.length; v++) {
            assertEquals(Math.log(probs.getDouble(0, 4, v)), logp[v], 1e-4);
        }
        // one token, and a context longer than seqLen (only the last seqLen tokens count)
        assertEquals(CFG.vocabSize(), TransformerLM.nextTokenLogProbs(net, new int[] {7}).length);
        int[] longContext = {9, 9, 9, 2, 7, 1, 8, 2, 8, 1, 8, 2, 8};
        assertArrayEquals(TransformerLM.nextTokenLogProbs(net, Arrays.copyOfRange(longContext, 3, 13)),
                TransformerLM.nextTokenLogProbs(net, longContext), 0.0);
    }

    @Test
    void saveLoadRoundTrip(@TempDir Path dir) throws Exception {
        MultiLayerNetwork net = TransformerLM.build(CFG, new Adam(1e-3));
        DataSet batch = TransformerLM.toDataSet(CFG, TransformerGradientCheckTest.rows(2, 9, CFG.vocabSize(), 1), 0);
        net.fit(batch);                                            // non-trivial parameters and updater state
        File file = dir.resolve("model.zip").toFile();
        TransformerLM.save(net, CFG, file);

        TransformerLM.Loaded loaded = TransformerLM.load(file);
        assertEquals(CFG, loaded.config());
        ExactArrays.assertSameNetwork(net, loaded.network(), batch.getFeatures());

        net.fit(batch);                                            // training continues identically
        loaded.network().fit(batch);
        ExactArrays.assertExactlyEqual(net.params(), loaded.network().params(), "parameters after another step");
    }

    @Test
    void layerConfigurationsSurviveJson() {
        MultiLayerConfiguration conf = TransformerLM.configuration(CFG, new Adam(1e-3), DataType.FLOAT);
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(conf.toJson());
        assertEquals(conf, back);
        assertNotEquals(conf, TransformerLM.configuration(new TransformerConfig(13, 10, 16, 4, 2, 32, 7),
                new Adam(1e-3), DataType.FLOAT));
    }
}
