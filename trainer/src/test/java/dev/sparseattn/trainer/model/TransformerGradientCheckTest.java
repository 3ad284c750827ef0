package dev.sparseattn.trainer.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

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

/** DL4J's own gradient check on a tiny whole network, in double, with DL4J's usual tolerances. */
@ExtendWith(SingleThreadNd4j.class)
class TransformerGradientCheckTest {

    static final TransformerConfig TINY = new TransformerConfig(11, 7, 8, 2, 2, 16, 12345);
    static final int PAD = 0;

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

    /** Rows of L+1 tokens with repeated ids and padding at the end of some rows. */
    static int[][] rows(int batch, int len, int vocab, long seed) {
        Random random = new Random(seed);
        int[][] rows = new int[batch][len + 1];
        for (int b = 0; b < batch; b++) {
            int real = len + 1 - (b % 3);          // the last 0..2 tokens of some rows are padding
            for (int t = 0; t <= len; t++) {
                rows[b][t] = t < real ? 1 + random.nextInt(vocab - 1) : PAD;
            }
        }
        return rows;
    }

    @Test
    void wholeNetworkPassesGradientCheck() {
        MultiLayerNetwork net = TransformerLM.build(TINY, new NoOp(), DataType.DOUBLE);
        // Larger than GPT-2's init so that softmax, GELU and LayerNorm are exercised well away from linearity.
        Nd4j.getRandom().setSeed(3);
        net.setParams(Nd4j.randn(DataType.DOUBLE, 1, net.numParams()).muli(0.3));
        DataSet ds = TransformerLM.toDataSet(TINY, rows(3, TINY.seqLen(), TINY.vocabSize(), 5), PAD, DataType.DOUBLE);

        boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig()
                .net(net)
                .input(ds.getFeatures())
                .labels(ds.getLabels())
                .labelMask(ds.getLabelsMaskArray())
                .epsilon(1e-6)
                .maxRelError(1e-3)
                .minAbsoluteError(1e-8)
                .print(GradientCheckUtil.PrintMode.FAILURES_ONLY)
                .exitOnFirstError(false));
        assertTrue(ok, "gradient check failed; see the log for the failing parameters");
    }
}
