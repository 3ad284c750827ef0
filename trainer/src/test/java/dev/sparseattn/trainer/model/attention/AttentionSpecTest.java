package dev.sparseattn.trainer.model.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.trainer.model.SingleThreadNd4j;
import dev.sparseattn.trainer.model.TransformerConfig;
import dev.sparseattn.trainer.model.TransformerLM;
import java.util.Random;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

/** Every pattern through its spec: JSON, the kernel it builds, and DL4J's gradient check on a network using them. */
@ExtendWith(SingleThreadNd4j.class)
class AttentionSpecTest {

    @Test
    void everyKindSurvivesJsonAndBuildsItsKernel() {
        AttentionSpec[] specs = {
            AttentionSpec.denseCausal(),
            AttentionSpec.slidingWindow(4, false).withDilations(1, 2).withGlobal(0, -1),
            AttentionSpec.strided(4, true),
            AttentionSpec.fixed(4, 2, true, true),
            AttentionSpec.bigBird(4, 1, 2, 99, false).withGlobal(0),
            AttentionSpec.lsh(2, 4, 8, 5, true)};
        Class<?>[] kernels = {DenseCausalAttention.class, SlidingWindowAttention.class, HeadSplitAttention.class,
            HeadSplitAttention.class, BigBirdAttention.class, LshAttention.class};
        for (int i = 0; i < specs.length; i++) {
            assertEquals(specs[i], AttentionSpec.fromJson(specs[i].toJson()));
            assertInstanceOf(kernels[i], Attentions.create(specs[i], 2));
        }
        assertEquals(2, AttentionSpec.slidingWindow(4, true).withDilations(1, 2).dilation(1, 2));
        assertThrows(IllegalArgumentException.class, () -> AttentionSpec.slidingWindow(-1, true));
        assertThrows(IllegalArgumentException.class,
                () -> new TransformerConfig(7, 9, 8, 2, 3, 4, 1).withAttention(AttentionSpec.denseCausal(),
                        AttentionSpec.denseCausal()));
    }

    @Test
    void networkWithBigBirdAndLshPassesDl4jGradientCheck() {
        DataType saved = Nd4j.dataType();
        DataType savedFloat = Nd4j.defaultFloatingPointType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        try {
            TransformerConfig tiny = new TransformerConfig(7, 9, 4, 2, 2, 4, 12345)
                    .withAttention(AttentionSpec.bigBird(2, 1, 1, 3, true).withGlobal(0),
                            AttentionSpec.lsh(2, 2, 3, 4, true));
            MultiLayerNetwork net = TransformerLM.build(tiny, new NoOp(), DataType.DOUBLE);
            Nd4j.getRandom().setSeed(3);
            net.setParams(Nd4j.randn(DataType.DOUBLE, 1, net.numParams()).muli(0.3));
            Random random = new Random(5);
            int[][] rows = new int[2][tiny.seqLen() + 1];
            for (int[] row : rows) {
                for (int t = 0; t < row.length; t++) {
                    row[t] = 1 + random.nextInt(tiny.vocabSize() - 1);
                }
            }
            DataSet ds = TransformerLM.toDataSet(tiny, rows, 0, DataType.DOUBLE);
            assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig()
                    .net(net)
                    .input(ds.getFeatures())
                    .labels(ds.getLabels())
                    .labelMask(ds.getLabelsMaskArray())
                    .epsilon(1e-6)
                    .maxRelError(1e-3)
                    .minAbsoluteError(1e-8)
                    .print(GradientCheckUtil.PrintMode.FAILURES_ONLY)
                    .exitOnFirstError(false)), "gradient check failed; see the log");
        } finally {
            Nd4j.setDefaultDataTypes(saved, savedFloat);
        }
    }
}
