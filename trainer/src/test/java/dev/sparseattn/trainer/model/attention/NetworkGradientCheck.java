package dev.sparseattn.trainer.model.attention;

import dev.sparseattn.trainer.model.GradientChecks;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import dev.sparseattn.trainer.model.TransformerLM;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

/** DL4J's own numerical gradient check, in double, on a whole tiny language model with the given attention. */
final class NetworkGradientCheck {

    private NetworkGradientCheck() {
    }

    /**
     * Vocabulary 7, length 9, width 4 in 2 heads of 2, one layer per spec, parameters drawn larger than at
     * initialisation (softmax, GELU and LayerNorm away from linearity); DL4J's usual tolerances.
     */
    static boolean passes(AttentionSpec... perLayer) {
        DataType saved = Nd4j.dataType();
        DataType savedFloat = Nd4j.defaultFloatingPointType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        try {
            TransformerConfig tiny = new TransformerConfig(7, 9, 4, 2, perLayer.length, 4, 12345)
                    .withAttention(perLayer);
            MultiLayerNetwork net = TransformerLM.build(tiny, new NoOp(), DataType.DOUBLE);
            GradientChecks.largeParams(net);
            Random random = new Random(5);
            int[][] rows = new int[2][tiny.seqLen() + 1];
            for (int[] row : rows) {
                for (int t = 0; t < row.length; t++) {
                    row[t] = 1 + random.nextInt(tiny.vocabSize() - 1);
                }
            }
            DataSet ds = TransformerLM.toDataSet(tiny, rows, 0, DataType.DOUBLE);
            return GradientChecks.passes(net, ds, 0);
        } finally {
            Nd4j.setDefaultDataTypes(saved, savedFloat);
        }
    }
}
