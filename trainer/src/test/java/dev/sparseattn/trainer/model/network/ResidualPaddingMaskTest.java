package dev.sparseattn.trainer.model.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.trainer.model.DoublePrecisionNd4j;
import dev.sparseattn.trainer.model.GradientChecks;
import dev.sparseattn.trainer.model.PaddingCheck;
import dev.sparseattn.trainer.model.SingleThreadNd4j;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.attention.AttentionSpec;
import java.util.Arrays;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;

/**
 * DL4J's features (padding) mask in the fused network, standard and reversible: every block's attention gets it,
 * also when the reversible backward recomputes the branches, so a padded batch computes for its real tokens exactly
 * what the rows compute alone; without the mask the padded keys would change them.
 */
@ExtendWith({SingleThreadNd4j.class, DoublePrecisionNd4j.class})
class ResidualPaddingMaskTest {

    private static final int REAL = 7;   // real inputs of the padded row (of 12)

    /**
     * Standard: bidirectional BigBird (window blocks and a global token, no random blocks: those depend on the length)
     * and sliding window, chunked feed-forward (so the network is fused). Reversible: bidirectional sliding window and
     * dense, and causal LSH (padding would otherwise share buckets and chunks with real tokens).
     */
    private static TransformerConfig config(TransformerConfig.Residual residual) {
        TransformerConfig base = new TransformerConfig(11, 12, 8, 2, 3, 16, 7).withResidual(residual);
        return residual == TransformerConfig.Residual.STANDARD
                ? base.withAttention(AttentionSpec.bigBird(3, 1, 0, 5, false).withGlobal(0),
                        AttentionSpec.slidingWindow(2, false), AttentionSpec.bigBird(3, 1, 0, 5, false).withGlobal(0))
                        .withFfnChunk(5)
                : base.withAttention(AttentionSpec.slidingWindow(2, false), AttentionSpec.dense(false),
                        AttentionSpec.lsh(2, 4, 4, 9, true));
    }

    @ParameterizedTest(name = "{0}, {1}")
    @CsvSource({"STANDARD, RECONSTRUCT", "REVERSIBLE, RECONSTRUCT", "REVERSIBLE, STORE"})
    void paddedBatchEqualsTheRowsAloneAndWithoutTheMaskItWouldNot(TransformerConfig.Residual residual,
                                                                   Backward backward) {
        TransformerConfig config = config(residual);
        MultiLayerNetwork net = NetworkSupport.doubleNet(config, backward);
        GradientChecks.largeParams(net);   // attention far from uniform, so padded keys would matter
        int[][] pair = PaddingCheck.pair(config.seqLen(), REAL, config.vocabSize(), 3);
        PaddingCheck.Differences masked = PaddingCheck.compare(net, config, pair, REAL, true);
        PaddingCheck.Differences unmasked = PaddingCheck.compare(net, config, pair, REAL, false);
        System.out.println("fused " + residual + " " + backward + ", padded batch vs rows alone: with mask " + masked
                + "; without " + unmasked);
        PaddingCheck.assertMaskMatters(masked, unmasked);

        if (backward == Backward.RECONSTRUCT && residual == TransformerConfig.Residual.REVERSIBLE) {
            // the recomputed branches see the forward's mask: the block inputs are reconstructed to rounding
            DataSet ds = TransformerLM.toDataSet(config, pair, PaddingCheck.PAD, DataType.DOUBLE);
            BlockStack stack = ((LmLayer) net.getLayer(0)).stack();
            stack.recordInputs(true);
            PaddingCheck.run(net, ds, ds.getFeaturesMaskArray(), config.vocabSize());
            double[] errors = stack.reconstructionErrors();
            System.out.println("reconstruction errors with padding: " + Arrays.toString(errors));
            assertEquals(config.nLayers(), errors.length);
            assertTrue(Arrays.stream(errors).max().orElseThrow() < 1e-12, Arrays.toString(errors));
        }
    }
}
