package dev.sparseattn.trainer.model.attention;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.trainer.model.SingleThreadNd4j;
import dev.sparseattn.trainer.model.TransformerConfig;
import dev.sparseattn.trainer.model.TransformerLM;
import java.util.Random;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * DL4J's numerical gradient check (double) on whole networks whose layers use the Sparse Transformer's strided and
 * fixed patterns (heads split between the two factors), causal and bidirectional, as DL4J trains them.
 */
@ExtendWith(SingleThreadNd4j.class)
class SparseTransformerNetworkGradientCheckTest {

    private DataType savedDefault;
    private DataType savedFloat;

    @BeforeEach
    void doublePrecision() {
        savedDefault = Nd4j.dataType();
        savedFloat = Nd4j.defaultFloatingPointType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    }

    @AfterEach
    void restore() {
        Nd4j.setDefaultDataTypes(savedDefault, savedFloat);
    }

    private static void gradientCheck(AttentionSpec... perLayer) {
        // 2 heads of 2: one head per factor; length 9 is not a multiple of the stride 4
        TransformerConfig tiny = new TransformerConfig(7, 9, 4, 2, perLayer.length, 4, 12345).withAttention(perLayer);
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
                .exitOnFirstError(false)), "gradient check failed; see the log for the failing parameters");
    }

    @Test
    void causalStridedAndFixedNetwork() {
        gradientCheck(AttentionSpec.strided(4, true), AttentionSpec.fixed(4, 2, true, true));
    }

    @Test
    void bidirectionalStridedAndFixedNetwork() {
        gradientCheck(AttentionSpec.strided(3, false), AttentionSpec.fixed(3, 1, false, false));
    }
}
