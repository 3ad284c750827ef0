package dev.sparseattn.trainer.model.network;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.trainer.model.ExactArrays;
import dev.sparseattn.trainer.model.NumericGradient;
import dev.sparseattn.trainer.model.SingleThreadNd4j;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.attention.AttentionSpec;
import java.io.File;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

/** Configuration, parameters, chunking, tying, axial positions and persistence of the fused model. */
@ExtendWith(SingleThreadNd4j.class)
class NetworkOptionsTest {

    private static final TransformerConfig REV = new TransformerConfig(13, 12, 16, 2, 2, 32, 7)
            .withAttention(AttentionSpec.slidingWindow(3, true))
            .withResidual(TransformerConfig.Residual.REVERSIBLE);

    @Test
    void configValidationNamesTheFieldAndOldJsonStillLoads() {
        assertTrue(message(() -> REV.withAxialPositions(3, 5)).contains("axialShape"));
        assertTrue(message(() -> REV.withAxialPositions(12)).contains("axialShape"));
        assertTrue(message(() -> REV.withDropout(1.0)).contains("dropout"));
        assertTrue(message(() -> REV.withDropout(-0.1)).contains("dropout"));
        assertTrue(message(() -> REV.withFfnChunk(-1)).contains("ffnChunk"));
        assertTrue(message(() -> REV.withLossChunk(-1)).contains("lossChunk"));
        TransformerConfig full = REV.withAxialPositions(3, 4).withTiedEmbeddings(true).withFfnChunk(5)
                .withLossChunk(7).withDropout(0.1);
        assertEquals(full, TransformerConfig.fromJson(full.toJson()));
        assertEquals(List.of(3, 4), full.axialShape());
        // JSON written before these fields existed means today's model
        String old = "{\"vocabSize\":13,\"seqLen\":12,\"dModel\":16,\"nHeads\":2,\"nLayers\":2,\"ffnHidden\":32,"
                + "\"seed\":7,\"attention\":[]}";
        TransformerConfig classic = TransformerConfig.fromJson(old);
        assertEquals(new TransformerConfig(13, 12, 16, 2, 2, 32, 7), classic);
        assertEquals(TransformerConfig.Residual.STANDARD, classic.residual());
        assertEquals(TransformerConfig.Positions.LEARNED, classic.positions());
    }

    private static String message(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    @Test
    void facadeBuildsOneLayerWithIdLabels() {
        MultiLayerNetwork net = TransformerLM.build(REV, new Adam(1e-3));
        assertEquals(1, net.getnLayers());
        assertInstanceOf(LmLayer.class, net.getLayer(0));
        long d = 16;
        long f = 32;
        long block = 2 * d + d * 3 * d + 3 * d + d * d + d + 2 * d + d * f + f + f * d + d;
        assertEquals((13 + 12) * d + 2 * block + 2 * d + d * 13 + 13, net.numParams());
        for (String key : net.paramTable().keySet()) {
            assertEquals(1, key.chars().filter(c -> c == '_').count(), "layer prefix only: " + key);
        }
        assertEquals(0.02 / Math.sqrt(4), net.getLayer(0).getParam(LmParams.block(1, LmParams.W_2))
                .stdNumber().doubleValue(), 0.002);
        DataSet ds = TransformerLM.toDataSet(REV, new int[][] {{5, 6, 7, 8, 0, 0}, {1, 2, 3, 4, 5, 6}}, 0);
        INDArray probs = net.output(ds.getFeatures());
        assertArrayEquals(new long[] {2, 5, 13}, probs.shape());
        assertEquals(0.0, probs.sum(2).subi(1.0).amaxNumber().doubleValue(), 1e-5);
        double loss = TransformerLM.meanTokenLoss(net.score(ds), ds);
        assertEquals(Math.log(13), loss, 0.3);
        // the score is the masked mean over tokens times tokens per sequence
        INDArray mask = ds.getLabelsMaskArray();
        INDArray target = Nd4j.create(DataType.FLOAT, 2, 5);
        for (int b = 0; b < 2; b++) {
            for (int t = 0; t < 5; t++) {
                target.putScalar(b, t, Math.log(probs.getDouble(b, t, ds.getLabels().getInt(b, t))));
            }
        }
        assertEquals(-target.mul(mask).sumNumber().doubleValue() / 2, net.score(ds), 1e-4);
        double[] nats = TransformerLM.sumNats(net, ds);
        assertEquals(-target.mul(mask).sumNumber().doubleValue(), nats[0], 1e-4);
        assertEquals(8.0, nats[1]);
    }

    @Test
    void chunkingChangesNothing() {
        TransformerConfig base = REV.withDropout(0.1);
        MultiLayerNetwork whole = NetworkSupport.doubleNet(base, Backward.RECONSTRUCT);
        MultiLayerNetwork chunked = NetworkSupport.doubleNet(base.withFfnChunk(5).withLossChunk(7),
                Backward.RECONSTRUCT);
        chunked.setParams(whole.params());
        DataSet ds = TransformerLM.toDataSet(base, NetworkSupport.rows(3, 12, 13, 6), 0, DataType.DOUBLE);
        NetworkSupport.Result a = NetworkSupport.gradients(whole, ds);
        NetworkSupport.Result b = NetworkSupport.gradients(chunked, ds);
        assertEquals(a.score(), b.score(), 1e-12);
        for (Map.Entry<String, INDArray> e : a.gradients().entrySet()) {
            double rel = NetworkSupport.relError(e.getValue(), b.gradients().get(e.getKey()));
            assertTrue(rel < 1e-12, e.getKey() + ": " + rel);
        }
        INDArray pa = whole.output(ds.getFeatures());
        INDArray pb = chunked.output(ds.getFeatures());
        assertTrue(pa.sub(pb).amaxNumber().doubleValue() < 1e-14);
    }

    @Test
    void tiedEmbeddingsShareOneTableAndSumBothGradients() {
        TransformerConfig untiedConfig = new TransformerConfig(7, 6, 8, 2, 1, 8, 7)
                .withResidual(TransformerConfig.Residual.REVERSIBLE).withAxialPositions(2, 3).withLossChunk(4);
        TransformerConfig tied = untiedConfig.withTiedEmbeddings(true);
        MultiLayerNetwork untied = TransformerLM.build(untiedConfig, new Adam(1e-3));
        MultiLayerNetwork net = NetworkSupport.doubleNet(tied, Backward.RECONSTRUCT);
        assertNull(net.getLayer(0).getParam(LmParams.HEAD_W));
        assertEquals(untied.numParams() - 8 * 7, net.numParams());
        Nd4j.getRandom().setSeed(8);
        net.setParams(Nd4j.randn(DataType.DOUBLE, 1, net.numParams()).muli(0.3));
        DataSet ds = TransformerLM.toDataSet(tied, NetworkSupport.rows(2, 6, 7, 3), 0, DataType.DOUBLE);
        NetworkSupport.Result r = NetworkSupport.gradients(net, ds);
        // gradient of the summed loss (score * batch) for the token table: embedding use + output projection use
        for (String key : List.of(LmParams.TOKEN, LmParams.AXIAL + 0, LmParams.AXIAL + 1)) {
            NumericGradient.check(key, net.getLayer(0).getParam(key), r.gradients().get("0_" + key),
                    () -> net.score(ds, true) * 2);
        }
        // = the sum of both uses: an untied copy with headW = tokEmb^T has the two shares as separate gradients
        MultiLayerNetwork copy = NetworkSupport.doubleNet(untiedConfig, Backward.RECONSTRUCT);
        net.paramTable().forEach((k, v) -> copy.getLayer(0).getParam(k.substring(2)).assign(v));
        copy.getLayer(0).getParam(LmParams.HEAD_W).assign(net.getLayer(0).getParam(LmParams.TOKEN)
                .transpose());
        NetworkSupport.Result u = NetworkSupport.gradients(copy, ds);
        assertEquals(r.score(), u.score(), 1e-12);
        INDArray sum = u.gradients().get("0_" + LmParams.TOKEN)
                .add(u.gradients().get("0_" + LmParams.HEAD_W).transpose());
        assertTrue(NetworkSupport.relError(sum, r.gradients().get("0_" + LmParams.TOKEN)) < 1e-12);
        assertTrue(u.gradients().get("0_" + LmParams.TOKEN).amaxNumber().doubleValue() > 0);
    }

    @Test
    void saveLoadRoundTripAndNextTokenLogProbs(@TempDir Path dir) throws Exception {
        TransformerConfig config = REV.withAxialPositions(3, 4).withTiedEmbeddings(true).withFfnChunk(5)
                .withLossChunk(4).withDropout(0.1);
        MultiLayerNetwork net = TransformerLM.build(config, new Adam(1e-3));
        DataSet batch = TransformerLM.toDataSet(config, NetworkSupport.rows(2, 9, 13, 1), 0);
        net.fit(batch);
        File file = dir.resolve("model.zip").toFile();
        TransformerLM.save(net, config, file);
        TransformerLM.Loaded loaded = TransformerLM.load(file);
        assertEquals(config, loaded.config());
        ExactArrays.assertSameNetwork(net, loaded.network(), batch.getFeatures());
        int[] context = {3, 1, 4, 1, 5};
        double[] logp = TransformerLM.nextTokenLogProbs(loaded.network(), context);
        assertArrayEquals(TransformerLM.nextTokenLogProbs(net, context), logp, 0.0);
        assertEquals(1.0, Arrays.stream(logp).map(Math::exp).sum(), 1e-9);
        INDArray probs = net.output(Nd4j.createFromArray(new float[][] {{3, 1, 4, 1, 5}}));
        for (int v = 0; v < logp.length; v++) {
            assertEquals(Math.log(probs.getDouble(0, 4, v)), logp[v], 1e-4);
        }
        int[] longContext = {9, 9, 2, 7, 1, 8, 2, 8, 1, 8, 2, 8, 4, 5};
        assertArrayEquals(TransformerLM.nextTokenLogProbs(net, Arrays.copyOfRange(longContext, 2, 14)),
                TransformerLM.nextTokenLogProbs(net, longContext), 0.0);
        // training continues identically (the dropout masks follow the saved iteration count)
        net.fit(batch);
        loaded.network().fit(batch);
        ExactArrays.assertExactlyEqual(net.params(), loaded.network().params(), "parameters after another step");
        // a stored configuration that does not match the network is refused
        File other = dir.resolve("other.zip").toFile();
        TransformerLM.save(net, config.withDropout(0.2), other);
        assertThrows(java.io.IOException.class, () -> TransformerLM.load(other));
    }

}
