package dev.sparseattn.trainer.model.network;

import dev.sparseattn.trainer.model.TransformerLM;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.NoOp;

/** Shared helpers of the network tests. */
final class NetworkSupport {

    static final int PAD = 0;

    private NetworkSupport() {
    }

    /** Rows of {@code len + 1} random tokens in {@code 1..vocab-1}, the last 0..2 of some rows padding. */
    static int[][] rows(int batch, int len, int vocab, long seed) {
        Random random = new Random(seed);
        int[][] rows = new int[batch][len + 1];
        for (int b = 0; b < batch; b++) {
            int real = len + 1 - (b % 3);
            for (int t = 0; t <= len; t++) {
                rows[b][t] = t < real ? 1 + random.nextInt(vocab - 1) : PAD;
            }
        }
        return rows;
    }

    /** Score and per-parameter gradients (copies) of one computeGradientAndScore. */
    record Result(double score, Map<String, INDArray> gradients) {
    }

    static Result gradients(MultiLayerNetwork net, DataSet ds) {
        net.setInput(ds.getFeatures());
        net.setLabels(ds.getLabels());
        net.setLayerMaskArrays(ds.getFeaturesMaskArray(), ds.getLabelsMaskArray());
        net.computeGradientAndScore();
        Map<String, INDArray> g = new LinkedHashMap<>();
        net.gradient().gradientForVariable().forEach((k, v) -> g.put(k, v.dup()));
        return new Result(net.score(), g);
    }

    /** A double-precision network with NoOp updater. */
    static MultiLayerNetwork doubleNet(TransformerConfig config, Backward backward) {
        return TransformerLM.build(config, new NoOp(), DataType.DOUBLE, backward);
    }

    /** max |a - b| / max |a| over one array. */
    static double relError(INDArray a, INDArray b) {
        double scale = Math.max(a.amaxNumber().doubleValue(), 1e-300);
        return a.sub(b).amaxNumber().doubleValue() / scale;
    }
}
