package dev.sparseattn.trainer.model;

import dev.sparseattn.trainer.model.network.TransformerConfig;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.trainer.model.attention.Attention;
import dev.sparseattn.trainer.model.attention.AttentionSpec;
import dev.sparseattn.trainer.model.blocks.AttentionBranch;
import dev.sparseattn.trainer.model.ops.Alloc;
import org.deeplearning4j.exception.DL4JInvalidInputException;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * DL4J's features (padding) mask in the standard network: right padding is invisible to causal attention, the mask
 * does not outlive its batch, DL4J's gradient check passes with it, and masks that do not fit fail clearly. (That a
 * padded batch computes for its real tokens exactly what the rows compute alone with bidirectional patterns, for
 * standard and reversible blocks: {@code network.ResidualPaddingMaskTest}.)
 */
@ExtendWith({SingleThreadNd4j.class, DoublePrecisionNd4j.class})
class PaddingMaskTest {

    /** Bidirectional sliding window, then bidirectional BigBird (window blocks and a global token, no random ones). */
    private static final TransformerConfig BIDIRECTIONAL = new TransformerConfig(11, 12, 8, 2, 2, 16, 7)
            .withAttention(AttentionSpec.slidingWindow(2, false),
                    AttentionSpec.bigBird(3, 1, 0, 5, false).withGlobal(0));
    private static final int REAL = 7;   // real inputs of the padded row (of 12); its last 5 are padding

    private static MultiLayerNetwork network(TransformerConfig config) {
        MultiLayerNetwork net = TransformerLM.build(config, new NoOp(), DataType.DOUBLE);
        GradientChecks.largeParams(net);   // attention far from uniform, so padded keys would matter
        return net;
    }

    @Test
    void causalDenseNeedsNoMaskButTakesIt() {
        TransformerConfig causal = BIDIRECTIONAL.withAttention(AttentionSpec.denseCausal());
        MultiLayerNetwork net = network(causal);
        int[][] pair = PaddingCheck.pair(causal.seqLen(), REAL, causal.vocabSize(), 4);
        PaddingCheck.Differences masked = PaddingCheck.compare(net, causal, pair, REAL, true);
        PaddingCheck.Differences unmasked = PaddingCheck.compare(net, causal, pair, REAL, false);
        System.out.println("causal, padded batch vs rows alone: with mask " + masked + "; without "
                + unmasked);
        assertTrue(masked.max() <= 1e-9, "with mask " + masked);
        assertTrue(unmasked.max() <= 1e-9, "right padding is invisible to causal attention " + unmasked);
    }

    @Test
    void aLaterUnmaskedBatchDoesNotReuseTheMask() {
        MultiLayerNetwork net = network(BIDIRECTIONAL);
        int vocab = BIDIRECTIONAL.vocabSize();
        DataSet ds = TransformerLM.toDataSet(BIDIRECTIONAL, PaddingCheck.pair(12, REAL, vocab, 5), PaddingCheck.PAD,
                DataType.DOUBLE);
        INDArray mask = ds.getFeaturesMaskArray();
        assertNotNull(mask);
        INDArray plainOutput = net.output(ds.getFeatures());
        PaddingCheck.Result before = PaddingCheck.run(net, ds, null, vocab);
        PaddingCheck.Result masked = PaddingCheck.run(net, ds, mask, vocab);
        PaddingCheck.Result after = PaddingCheck.run(net, ds, null, vocab);

        assertTrue(Math.abs(masked.score() - before.score()) > 1e-6, "the mask changes the score");
        assertEquals(before.score(), after.score(), 0.0, "score after a masked batch");
        ExactArrays.assertExactlyEqual(before.targetLogProbs(), after.targetLogProbs(), "outputs after a masked batch");
        before.gradients().forEach((key, g) -> ExactArrays.assertExactlyEqual(g, after.gradients().get(key), key));
        ExactArrays.assertExactlyEqual(plainOutput, net.output(ds.getFeatures()), "output(features) without a mask");
    }

    @Test
    void networkWithPaddingMaskAndBidirectionalPatternsPassesDl4jGradientCheck() {
        TransformerConfig tiny = new TransformerConfig(7, 9, 4, 2, 2, 4, 12345)
                .withAttention(AttentionSpec.slidingWindow(2, false),
                        AttentionSpec.bigBird(3, 1, 1, 5, false).withGlobal(0));
        MultiLayerNetwork net = TransformerLM.build(tiny, new NoOp(), DataType.DOUBLE);
        GradientChecks.largeParams(net);
        DataSet ds = TransformerLM.toDataSet(tiny, PaddingCheck.pair(tiny.seqLen(), 5, tiny.vocabSize(), 6),
                PaddingCheck.PAD, DataType.DOUBLE);
        assertEquals(Nd4j.createFromArray(new double[][] {{1, 1, 1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 0, 0, 0, 0}}),
                ds.getFeaturesMaskArray());
        // every parameter array, up to 8 spread elements each (time)
        assertTrue(GradientChecks.passes(net, ds, 8), "gradient check failed; see the log for the failing parameters");
    }

    @Test
    void masksThatDoNotFitTheInputFailClearly() {
        MultiLayerNetwork net = network(BIDIRECTIONAL);
        INDArray ids = Nd4j.createFromArray(new double[][] {{1, 2, 3, 4}, {5, 6, 0, 0}});
        INDArray shorter = Nd4j.ones(DataType.DOUBLE, 2, 3);
        INDArray perOutput = Nd4j.ones(DataType.DOUBLE, 2, 4, 8);
        assertTrue(assertThrows(DL4JInvalidInputException.class, () -> net.output(ids, false, shorter, null))
                .getMessage().contains("features mask"));
        assertTrue(assertThrows(DL4JInvalidInputException.class, () -> net.output(ids, false, perOutput, null))
                .getMessage().contains("features mask"));
        assertDoesNotThrow(() -> net.output(ids, false, Nd4j.ones(DataType.DOUBLE, 2, 4), null));
    }

    @Test
    void aKernelWithoutKeyMaskRefusesAMask() {
        Attention unmaskable = new Attention() {
            @Override
            public void forward(INDArray q, INDArray k, INDArray v, INDArray out, Alloc keep) {
                out.assign(v);
            }

            @Override
            public void backward(INDArray dOut, INDArray dq, INDArray dk, INDArray dv) {
                dv.assign(dOut);
            }

            @Override
            public void clear() {
            }
        };
        AttentionBranch branch = new AttentionBranch(unmaskable, 2);
        assertDoesNotThrow(() -> branch.setKeyMask(null));
        assertThrows(UnsupportedOperationException.class, () -> branch.setKeyMask(Nd4j.ones(DataType.DOUBLE, 1, 4)));
    }
}
