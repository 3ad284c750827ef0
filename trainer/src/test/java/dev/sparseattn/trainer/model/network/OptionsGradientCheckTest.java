package dev.sparseattn.trainer.model.network;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.trainer.model.DoublePrecisionNd4j;
import dev.sparseattn.trainer.model.SingleThreadNd4j;
import dev.sparseattn.trainer.model.GradientChecks;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.attention.AttentionSpec;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DL4J's numerical gradient check on whole fused networks in double (every parameter array, a spread subset of its
 * elements; DL4J's usual tolerances), with DL4J's updater in the loop (gradients are of the summed loss):
 * reversible (reconstructing) and standard residual blocks, with learned, axial and rotary positions (RoPE's
 * hand-written backward in the attention branch), tied and untied
 * output, chunked feed-forward and loss.
 */
@ExtendWith({SingleThreadNd4j.class, DoublePrecisionNd4j.class})
class OptionsGradientCheckTest {

    @ParameterizedTest(name = "{0}, {1} positions, tied {2}")
    @CsvSource({"REVERSIBLE, AXIAL, true", "STANDARD, LEARNED, false", "STANDARD, ROTARY, true", "REVERSIBLE, ROTARY, false"})
    void wholeNetworkPassesGradientCheck(TransformerConfig.Residual residual, TransformerConfig.Positions positions,
                                         boolean tied) {
        TransformerConfig config = new TransformerConfig(9, 8, 8, 2, 2, 12, 3)
                .withAttention(AttentionSpec.denseCausal(), AttentionSpec.slidingWindow(2, true))
                .withResidual(residual)
                .withTiedEmbeddings(tied)
                .withFfnChunk(5)
                .withLossChunk(6);
        if (positions == TransformerConfig.Positions.AXIAL) {
            config = config.withAxialPositions(2, 4);
        } else if (positions == TransformerConfig.Positions.ROTARY) {
            config = config.withRotaryPositions();
        }
        MultiLayerNetwork net = NetworkSupport.doubleNet(config, Backward.RECONSTRUCT);
        GradientChecks.largeParams(net);
        DataSet ds = TransformerLM.toDataSet(config, NetworkSupport.rows(3, 7, 9, 5), NetworkSupport.PAD,
                DataType.DOUBLE);
        boolean ok = GradientChecks.passes(net, ds, 4);   // every parameter array, up to 4 elements each (time)
        assertTrue(ok, "gradient check failed; see the log for the failing parameters");
    }
}
