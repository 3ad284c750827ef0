package dev.sparseattn.trainer.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.trainer.model.attention.AttentionSpec;
import dev.sparseattn.trainer.model.reversible.Backward;
import dev.sparseattn.trainer.model.reversible.FusedNetworks;
import java.util.Arrays;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;

/**
 * One-off measurement before the layered network was removed: fit step time of the layered and the fused network
 * of the same classic configuration ({@code -Dbench.network=layered|fused}, {@code -Dbench.window=0} dense, else
 * sliding window); alternate JVMs (both networks in one JVM crashed in libnd4j's TadDescriptor).
 */
@Tag("slow")
class LayeredVsFusedBenchmark {

    @Test
    void alternate() {
        int batch = Integer.getInteger("bench.batch", 16);
        int len = Integer.getInteger("bench.len", 256);
        int window = Integer.getInteger("bench.window", 0);
        int reps = Integer.getInteger("bench.reps", 5);
        int steps = Integer.getInteger("bench.steps", 3);
        TransformerConfig config = TransformerConfig.gpt(258, len, 128, 4, 2, 1);
        if (window > 0) {
            config = config.withAttention(AttentionSpec.slidingWindow(window, true));
        }
        boolean fusedNet = "fused".equals(System.getProperty("bench.network", "layered"));
        MultiLayerNetwork net = fusedNet
                ? FusedNetworks.build(config, new Adam(1e-3), DataType.FLOAT, Backward.RECONSTRUCT)
                : TransformerLM.build(config, new Adam(1e-3));
        Random random = new Random(1);
        int[][] rows = new int[batch][len + 1];
        for (int[] row : rows) {
            for (int t = 0; t <= len; t++) {
                row[t] = random.nextInt(config.vocabSize());
            }
        }
        DataSet oneHot = TransformerLM.toDataSet(config, rows, 0);
        DataSet ids = TransformerLM.toDataSet(config.withDropout(0.0).withFfnChunk(1), rows, 0);  // id labels
        DataSet data = fusedNet ? ids : oneHot;
        for (int i = 0; i < 3; i++) {
            net.fit(data);
        }
        double[] t = new double[reps];
        for (int r = 0; r < reps; r++) {
            t[r] = time(net, data, steps);
        }
        System.out.printf("%s, batch %d x %d, window %d: %s median %.0f ms%n", fusedNet ? "fused" : "layered", batch,
                len, window, Arrays.toString(t), median(t));
        assertTrue(Double.isFinite(net.score()));
    }

    private static double time(MultiLayerNetwork net, DataSet data, int steps) {
        double[] ms = new double[steps];
        for (int i = 0; i < steps; i++) {
            long start = System.nanoTime();
            net.fit(data);
            ms[i] = (System.nanoTime() - start) / 1e6;
        }
        return median(ms);
    }

    private static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
