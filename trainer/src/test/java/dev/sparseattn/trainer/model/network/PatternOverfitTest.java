package dev.sparseattn.trainer.model.network;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.trainer.model.SingleThreadNd4j;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.attention.AttentionSpec;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;

/** A tiny reversible model memorises a tiny corpus with every attention pattern. */
@ExtendWith(SingleThreadNd4j.class)
class PatternOverfitTest {

    static AttentionSpec pattern(String name) {
        return switch (name) {
            case "dense" -> AttentionSpec.denseCausal();
            case "sliding-window" -> AttentionSpec.slidingWindow(4, true);
            case "strided" -> AttentionSpec.strided(4, true);
            case "fixed" -> AttentionSpec.fixed(4, 1, false, true);
            case "bigbird" -> AttentionSpec.bigBird(4, 1, 1, 3, true);
            case "lsh" -> AttentionSpec.lsh(2, 4, 4, 5, true);
            default -> throw new IllegalArgumentException(name);
        };
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"dense", "sliding-window", "strided", "fixed", "bigbird", "lsh"})
    void reversibleModelOverfitsATinyCorpus(String kind) {
        TransformerConfig config = new TransformerConfig(10, 16, 32, 4, 2, 64, 11)
                .withAttention(pattern(kind))
                .withResidual(TransformerConfig.Residual.REVERSIBLE)
                .withAxialPositions(4, 4)
                .withFfnChunk(8)
                .withLossChunk(8);
        MultiLayerNetwork net = TransformerLM.build(config, new Adam(1e-2));
        DataSet batch = TransformerLM.toDataSet(config, NetworkSupport.rows(2, 16, 10, 9), NetworkSupport.PAD);
        double initial = TransformerLM.meanTokenLoss(net.score(batch), batch);
        double loss = initial;
        int step = 0;
        for (; step < 300 && loss >= 0.02; step++) {
            net.fit(batch);
            loss = TransformerLM.meanTokenLoss(net.score(), batch);
        }
        double evaluated = TransformerLM.meanTokenLoss(net.score(batch), batch);
        System.out.printf("%s: mean token loss %.3f -> %.4f after %d steps (evaluated %.4f)%n", kind, initial, loss,
                step, evaluated);
        assertTrue(Math.abs(initial - Math.log(10)) < 0.3, "initial loss " + initial + " should be about ln(10)");
        assertTrue(evaluated < 0.05, kind + ": loss after training " + evaluated);
    }
}
