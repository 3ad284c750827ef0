package dev.sparseattn.trainer.model.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.trainer.model.SingleThreadNd4j;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.attention.AttentionSpec;
import java.util.Map;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * The reversible stack computes the same function whether its backward reconstructs block inputs or uses stored
 * activations: equal loss and gradients (relative error at most 1e-6, double), with and without dropout.
 */
@ExtendWith(SingleThreadNd4j.class)
class ReversibleEqualityTest {

    static AttentionSpec pattern(String name) {
        return switch (name) {
            case "dense" -> AttentionSpec.denseCausal();
            case "sliding" -> AttentionSpec.slidingWindow(3, true);
            case "lsh" -> AttentionSpec.lsh(2, 4, 4, 7, true);
            default -> throw new IllegalArgumentException(name);
        };
    }

    @ParameterizedTest(name = "{0}, dropout {1}")
    @CsvSource({"dense, 0.0", "dense, 0.2", "sliding, 0.0", "sliding, 0.2", "lsh, 0.0", "lsh, 0.2"})
    void reconstructionMatchesStoredActivations(String kind, double dropout) {
        TransformerConfig config = new TransformerConfig(11, 12, 16, 2, 3, 24, 5)
                .withAttention(pattern(kind))
                .withResidual(TransformerConfig.Residual.REVERSIBLE)
                .withDropout(dropout);
        MultiLayerNetwork stored = NetworkSupport.doubleNet(config, Backward.STORE);
        MultiLayerNetwork rebuilt = NetworkSupport.doubleNet(config, Backward.RECONSTRUCT);
        rebuilt.setParams(stored.params());
        DataSet ds = TransformerLM.toDataSet(config, NetworkSupport.rows(3, 12, 11, 2), NetworkSupport.PAD,
                DataType.DOUBLE);
        for (int step = 0; step < 2; step++) {           // the second step (iteration) draws new dropout masks
            stored.getLayerWiseConfigurations().setIterationCount(step);
            rebuilt.getLayerWiseConfigurations().setIterationCount(step);
            NetworkSupport.Result a = NetworkSupport.gradients(stored, ds);
            NetworkSupport.Result b = NetworkSupport.gradients(rebuilt, ds);
            assertEquals(a.score(), b.score(), 1e-6 * Math.abs(a.score()), "loss");
            double worst = 0;
            for (Map.Entry<String, INDArray> e : a.gradients().entrySet()) {
                double rel = NetworkSupport.relError(e.getValue(), b.gradients().get(e.getKey()));
                assertTrue(rel <= 1e-6, e.getKey() + ": relative error " + rel);
                worst = Math.max(worst, rel);
            }
            System.out.printf("%s dropout %.1f step %d: loss %.6f, worst gradient relative error %.2e%n", kind,
                    dropout, step, a.score(), worst);
        }
    }
}
