package dev.sparseattn.trainer.model.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.sparseattn.trainer.model.SingleThreadNd4j;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.attention.AttentionSpec;
import dev.sparseattn.trainer.model.attention.LshAttention;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * The network draws each LSH layer's rotations from (seed, layer, training step): layers differ, a training step
 * differs from the next and repeats exactly, and inference is the same at any step. The reversible backward's
 * recomputation under steps that change the rotations: {@link ReversibleEqualityTest} (steps 0 and 1).
 */
@ExtendWith(SingleThreadNd4j.class)
class LshDrawTest {

    private static final AttentionSpec LSH = AttentionSpec.lsh(2, 4, 4, 7, true);

    @Test
    void rotationsPerLayerAndStep() {
        TransformerConfig config = new TransformerConfig(11, 12, 16, 2, 2, 24, 5).withAttention(LSH);
        MultiLayerNetwork net = NetworkSupport.doubleNet(config, Backward.STORE);
        DataSet ds = TransformerLM.toDataSet(config, NetworkSupport.rows(3, 12, 11, 2), NetworkSupport.PAD,
                DataType.DOUBLE);
        BlockStack stack = TransformerLM.layer(net).stack();

        net.getLayerWiseConfigurations().setIterationCount(4);
        double step4 = NetworkSupport.gradients(net, ds).score();
        INDArray layer0 = ((LshAttention) stack.kernel(0)).rotations().dup();
        INDArray layer1 = ((LshAttention) stack.kernel(1)).rotations().dup();
        assertNotEquals(layer0, layer1, "two LSH layers of one spec share rotations");
        assertEquals(new java.util.Random(LshAttention.drawSeed(7, 1, 4)).nextGaussian(), layer1.getDouble(0), 0.0);

        net.getLayerWiseConfigurations().setIterationCount(5);
        double step5 = NetworkSupport.gradients(net, ds).score();
        assertNotEquals(layer0, ((LshAttention) stack.kernel(0)).rotations(), "steps 4 and 5 share rotations");
        assertNotEquals(step4, step5, "new rotations, same loss: the draw does not reach the buckets");

        net.getLayerWiseConfigurations().setIterationCount(4);
        assertEquals(step4, NetworkSupport.gradients(net, ds).score(), 0.0, "step 4 again (a resumed run)");

        net.clearLayerMaskArrays();                   // the labels mask of the training calls above
        INDArray atStep4 = net.output(ds.getFeatures());
        net.getLayerWiseConfigurations().setIterationCount(9);
        assertEquals(atStep4, net.output(ds.getFeatures()), "inference depends on the training step");
    }
}
