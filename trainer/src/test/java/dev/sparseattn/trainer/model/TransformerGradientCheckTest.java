package dev.sparseattn.trainer.model;

import dev.sparseattn.trainer.model.network.TransformerConfig;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

/** DL4J's own gradient check on a tiny whole network, in double, with DL4J's usual tolerances. */
@ExtendWith({SingleThreadNd4j.class, DoublePrecisionNd4j.class})
class TransformerGradientCheckTest {

    static final TransformerConfig TINY = new TransformerConfig(11, 7, 8, 2, 2, 16, 12345);
    static final int PAD = 0;

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
        GradientChecks.largeParams(net);
        DataSet ds = TransformerLM.toDataSet(TINY, rows(3, TINY.seqLen(), TINY.vocabSize(), 5), PAD, DataType.DOUBLE);

        boolean ok = GradientChecks.passes(net, ds, 0);
        assertTrue(ok, "gradient check failed; see the log for the failing parameters");
    }
}
