package dev.sparseattn.trainer.model.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.sparseattn.trainer.model.SingleThreadNd4j;
import dev.sparseattn.trainer.model.ops.Alloc;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * LSH rotations drawn per layer and training step ({@link Attention#setDraw}, Reformer): different layers and steps
 * get different rotations and buckets, the same (layer, step) the same ones, inference step 0's.
 */
@ExtendWith(SingleThreadNd4j.class)
class LshRotationTest {

    private static final long SEED = 7;

    /** Rotations and buckets of one forward of a fresh kernel at (layer, step) on fixed inputs. */
    private static INDArray[] draw(Integer layer, long step) {
        LshAttention lsh = new LshAttention(2, 4, 4, true, SEED);
        if (layer != null) {
            lsh.setDraw(layer, step);
        }
        Nd4j.getRandom().setSeed(3);
        INDArray q = Nd4j.randn(DataType.DOUBLE, 2, 2, 16, 4);
        INDArray v = Nd4j.randn(DataType.DOUBLE, 2, 2, 16, 4);
        lsh.forward(q, q, v, Nd4j.create(DataType.DOUBLE, 2, 2, 16, 4), Alloc.current(DataType.DOUBLE));
        return new INDArray[] {lsh.rotations().dup(), lsh.lastBuckets().dup()};
    }

    @Test
    void layersAndStepsDrawDifferentRotations() {
        INDArray[] l0s3 = draw(0, 3);
        INDArray[] l1s3 = draw(1, 3);
        INDArray[] l0s4 = draw(0, 4);
        assertNotEquals(l0s3[0], l1s3[0], "two layers share rotations");
        assertNotEquals(l0s3[0], l0s4[0], "steps 3 and 4 share rotations");
        assertNotEquals(l0s3[1], l0s4[1], "new rotations, same buckets");
        assertEquals(l0s3[0], draw(0, 3)[0], "the same (layer, step) must draw the same rotations");
        assertEquals(l0s3[1], draw(0, 3)[1]);
    }

    @Test
    void inferenceUsesStepZeroAndLayerZeroTheSeed() {
        assertEquals(draw(2, 0)[0], draw(2, -1)[0], "inference draws step 0's rotations");
        assertEquals(SEED, LshAttention.drawSeed(SEED, 0, -1));
        INDArray undrawn = draw(null, 0)[0];                       // a kernel never given a draw: inference, layer 0
        Random rnd = new Random(SEED);
        double[] expected = new double[(int) undrawn.length()];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = rnd.nextGaussian();
        }
        assertEquals(Nd4j.createFromArray(expected).reshape(undrawn.shape()), undrawn);
        Random layer1 = new Random(LshAttention.drawSeed(SEED, 1, 5));
        assertEquals(layer1.nextGaussian(), draw(1, 5)[0].getDouble(0), 0.0);
    }
}
