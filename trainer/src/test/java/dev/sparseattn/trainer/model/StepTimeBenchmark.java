package dev.sparseattn.trainer.model;

import dev.sparseattn.trainer.model.network.TransformerConfig;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;

/**
 * Time of one {@code fit()} step (forward, backward, Adam) in float32, for sizing runs. Not a unit test:
 * {@code mvn -B -pl trainer test -Pslow -Dtest=StepTimeBenchmark [-Dbench.layers=2 -Dbench.batch=16
 * -Dbench.len=256 -Dbench.dModel=128 -Dbench.heads=4 -Dbench.vocab=258 -Dbench.steps=10 -Dbench.workspaces=ENABLED]}.
 */
@Tag("slow")
class StepTimeBenchmark {

    private static int prop(String name, int fallback) {
        return Integer.getInteger("bench." + name, fallback);
    }

    @Test
    void fitStepTime() {
        int layers = prop("layers", 2);
        int batch = prop("batch", 16);
        int len = prop("len", 256);
        int steps = prop("steps", 10);
        TransformerConfig config = TransformerConfig.gpt(prop("vocab", 258), len, prop("dModel", 128), prop("heads", 4),
                layers, 1);
        MultiLayerConfiguration conf = TransformerLM.configuration(config, new Adam(1e-3), DataType.FLOAT);
        WorkspaceMode mode = WorkspaceMode.valueOf(System.getProperty("bench.workspaces", "ENABLED"));
        conf.setTrainingWorkspaceMode(mode);
        conf.setInferenceWorkspaceMode(mode);
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();

        Random random = new Random(1);
        int[][] rows = new int[batch][len + 1];
        for (int[] row : rows) {
            for (int t = 0; t <= len; t++) {
                row[t] = random.nextInt(config.vocabSize());
            }
        }
        DataSet data = TransformerLM.toDataSet(config, rows, 0);
        for (int i = 0; i < 3; i++) {
            net.fit(data);                                    // warm-up: JIT, workspace sizing
        }
        double[] ms = new double[steps];
        for (int i = 0; i < steps; i++) {
            long start = System.nanoTime();
            net.fit(data);
            ms[i] = (System.nanoTime() - start) / 1e6;
        }
        Arrays.sort(ms);
        System.out.printf("fit step, %s, batch %d, workspaces %s, %,d parameters: min %.0f ms, median %.0f ms%n",
                config, batch, mode, net.numParams(), ms[0], ms[steps / 2]);
        assertTrue(Double.isFinite(net.score()));
    }
}
