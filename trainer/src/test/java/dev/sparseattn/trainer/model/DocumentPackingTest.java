package dev.sparseattn.trainer.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.shard.ShardRow;
import dev.sparseattn.trainer.model.attention.AttentionSpec;
import dev.sparseattn.trainer.model.network.LmParams;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import java.util.Map;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * A packed row of three documents with the document mask (the shards' segment ids, {@link TransformerLM#toDataSet})
 * against each document alone, in double: the packed loss is the sum of the documents' losses, every parameter
 * gradient the sum of theirs, and every target's log-probability the same. A document alone is led by the previous
 * document's EOS (the packed row predicts a document's first token from that EOS, which sees only itself). The model's
 * learned positions are zeroed, so that a document's place in the row does not matter; without the mask the packed
 * row's results differ far beyond rounding.
 */
@ExtendWith(DoublePrecisionNd4j.class)
class DocumentPackingTest {

    private static final int PAD = 0;
    private static final int EOS = 1;
    private static final int[] A = {3, 4, 5, 6, EOS};
    private static final int[] B = {7, 2, 8, EOS};
    private static final int[] C = {5, 3, EOS};

    private static int[] concat(int[]... parts) {
        return java.util.Arrays.stream(parts).flatMapToInt(java.util.Arrays::stream).toArray();
    }

    @Test
    void denseCausal() {
        check(new TransformerConfig(9, 12, 8, 2, 2, 16, 77));
    }

    @Test
    void slidingWindowReversible() {
        check(new TransformerConfig(9, 12, 8, 2, 2, 16, 78).withAttention(AttentionSpec.slidingWindow(2, true))
                .withResidual(TransformerConfig.Residual.REVERSIBLE));
    }

    private static void check(TransformerConfig config) {
        MultiLayerNetwork net = TransformerLM.build(config, new NoOp(), DataType.DOUBLE);
        GradientChecks.largeParams(net);
        net.getLayer(0).getParam(LmParams.POSITION).assign(0);               // no absolute positions
        int[] packed = concat(A, B, C, new int[] {PAD});                     // 13 = seqLen + 1 tokens
        int[][] segments = {ShardRow.segments(packed, packed.length - 1, EOS)};
        DataSet withDocs = TransformerLM.toDataSet(config, new int[][] {packed}, segments, PAD, DataType.DOUBLE);
        assertEquals("[[1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0, 3.0, 3.0, 3.0, 3.0]]",
                java.util.Arrays.deepToString(withDocs.getFeaturesMaskArray().toDoubleMatrix()),
                "documents numbered by the document of each input's target");
        int[][] alone = {A, concat(new int[] {EOS}, B), concat(new int[] {EOS}, C)};
        int[] from = {0, 4, 8};
        PaddingCheck.Result[] docs = new PaddingCheck.Result[alone.length];
        for (int d = 0; d < alone.length; d++) {
            DataSet ds = TransformerLM.toDataSet(config, new int[][] {alone[d]}, new int[][] {
                ShardRow.segments(alone[d], alone[d].length, -1)}, PAD, DataType.DOUBLE);
            assertNull(ds.getFeaturesMaskArray(), "one document, no padding: no mask");
            docs[d] = PaddingCheck.run(net, ds, null, config.vocabSize());
        }
        double[] masked = differences(net, config, withDocs, docs, from);
        DataSet plain = TransformerLM.toDataSet(config, new int[][] {packed}, PAD, DataType.DOUBLE);
        double[] unmasked = differences(net, config, plain, docs, from);
        System.out.println(config.attentionFor(0).kind() + " " + config.residual() + ": with documents "
                + java.util.Arrays.toString(masked) + ", without " + java.util.Arrays.toString(unmasked));
        for (double e : masked) {
            assertTrue(e <= 1e-9, "packed with the document mask differs from the documents alone: "
                    + java.util.Arrays.toString(masked));
        }
        for (double e : unmasked) {
            assertTrue(e > 1e-6, "without the mask the documents must see each other: "
                    + java.util.Arrays.toString(unmasked));
        }
    }

    /** {score, gradients, log-probabilities}: relative differences between the packed row and the documents alone. */
    private static double[] differences(MultiLayerNetwork net, TransformerConfig config, DataSet packed,
                                        PaddingCheck.Result[] docs, int[] from) {
        PaddingCheck.Result p = PaddingCheck.run(net, packed, packed.getFeaturesMaskArray(), config.vocabSize());
        double sum = 0;
        for (PaddingCheck.Result d : docs) {
            sum += d.score();                                                 // one row each: summed losses
        }
        double score = Math.abs(p.score() - sum) / Math.abs(sum);
        double gradients = 0;
        for (Map.Entry<String, INDArray> e : p.gradients().entrySet()) {
            INDArray expected = null;
            for (PaddingCheck.Result d : docs) {
                INDArray g = d.gradients().get(e.getKey());
                expected = expected == null ? g.dup() : expected.addi(g);
            }
            INDArray got = e.getValue();
            if (e.getKey().endsWith(LmParams.POSITION)) {                     // rows of other positions: compare sums
                got = got.sum(0);
                expected = expected.sum(0);
            }
            double scale = Math.max(expected.amaxNumber().doubleValue(), 1e-300);
            gradients = Math.max(gradients, got.sub(expected).amaxNumber().doubleValue() / scale);
        }
        double logProbs = 0;
        for (int d = 0; d < docs.length; d++) {
            long n = docs[d].targetLogProbs().size(1);
            INDArray part = p.targetLogProbs().get(NDArrayIndex.point(0), NDArrayIndex.interval(from[d], from[d] + n));
            logProbs = Math.max(logProbs, part.sub(docs[d].targetLogProbs().getRow(0)).amaxNumber().doubleValue());
        }
        return new double[] {score, gradients, logProbs};
    }
}
