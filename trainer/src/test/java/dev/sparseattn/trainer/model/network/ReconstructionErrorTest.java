package dev.sparseattn.trainer.model.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.trainer.model.SingleThreadNd4j;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.attention.AttentionSpec;
import java.util.Arrays;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;

/** Inputs reconstructed from outputs stay close to the forward pass's inputs over 12 float32 layers. */
@ExtendWith(SingleThreadNd4j.class)
class ReconstructionErrorTest {

    @Test
    void twelveLayersInFloat32StayBelow1e4() {
        TransformerConfig config = new TransformerConfig(13, 32, 32, 4, 12, 64, 21)
                .withAttention(AttentionSpec.slidingWindow(8, true))
                .withResidual(TransformerConfig.Residual.REVERSIBLE)
                .withDropout(0.1)
                .withFfnChunk(12);
        MultiLayerNetwork net = TransformerLM.build(config, new Adam(3e-3));
        DataSet ds = TransformerLM.toDataSet(config, NetworkSupport.rows(2, 32, 13, 4), NetworkSupport.PAD);
        for (int step = 0; step < 5; step++) {       // trained weights, not just the small initial ones
            net.fit(ds);
        }
        BlockStack stack = ((LmLayer) net.getLayer(0)).stack();
        stack.recordInputs(true);
        net.fit(ds);
        double[] errors = stack.reconstructionErrors();
        System.out.println("max |reconstructed - forward input| per layer: " + Arrays.toString(errors));
        assertEquals(12, errors.length);
        for (int i = 0; i < errors.length; i++) {
            assertTrue(errors[i] < 1e-4, "layer " + i + ": reconstruction error " + errors[i]);
        }
        assertTrue(Arrays.stream(errors).max().orElseThrow() > 0, "float32 reconstruction cannot be exact");
    }
}
