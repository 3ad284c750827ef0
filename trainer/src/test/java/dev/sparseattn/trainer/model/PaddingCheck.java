package dev.sparseattn.trainer.model;

import dev.sparseattn.trainer.model.network.TransformerConfig;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.shape.OneHot;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * A batch of two rows, the second right-padded, against the same two rows computed one at a time without padding, on
 * in double. The unpadded second row is its real tokens plus one final
 * {@link #PAD} target (masked by the loss), so that its inputs are exactly the real inputs of the padded row.
 */
public final class PaddingCheck {

    public static final int PAD = 0;

    private PaddingCheck() {
    }

    /**
     * Row 0: {@code len + 1} random tokens in {@code 1..vocab-1}; row 1: {@code real} random tokens, then padding
     * (so its first {@code real} inputs are real and the rest padding).
     */
    public static int[][] pair(int len, int real, int vocab, long seed) {
        Random random = new Random(seed);
        int[][] rows = new int[2][len + 1];
        for (int t = 0; t <= len; t++) {
            rows[0][t] = 1 + random.nextInt(vocab - 1);
            rows[1][t] = t < real ? 1 + random.nextInt(vocab - 1) : PAD;
        }
        return rows;
    }

    /** Score, parameter gradients (copies) and the log-probability of every target {@code [batch, L]}. */
    public record Result(double score, Map<String, INDArray> gradients, INDArray targetLogProbs) {
    }

    /**
     * {@code computeGradientAndScore} as {@code fit} runs it, with the given features mask (null: none) and the
     * labels mask of {@code ds}, then inference ({@code output}) with the same features mask.
     */
    public static Result run(MultiLayerNetwork net, DataSet ds, INDArray featuresMask, int vocab) {
        net.setInput(ds.getFeatures());
        net.setLabels(ds.getLabels());
        net.setLayerMaskArrays(featuresMask, ds.getLabelsMaskArray());
        net.computeGradientAndScore();
        net.clearLayerMaskArrays();
        double score = net.score();
        Map<String, INDArray> g = new LinkedHashMap<>();
        net.gradient().gradientForVariable().forEach((k, v) -> g.put(k, v.dup()));
        INDArray probs = net.output(ds.getFeatures(), false, featuresMask, null);        // [batch, L, vocab]
        INDArray oneHot = ds.getLabels();
        if (oneHot.rank() == 2) {                                                        // target ids
            oneHot = Nd4j.create(DataType.DOUBLE, oneHot.size(0), oneHot.size(1), vocab);
            Nd4j.exec(new OneHot(ds.getLabels().castTo(DataType.INT32), oneHot, vocab));
        }
        return new Result(score, g, Transforms.log(probs.mul(oneHot).sum(2), false));
    }

    /** Largest differences between the padded batch and the rows one at a time (relative for score and gradients). */
    public record Differences(double score, double gradients, double logProbs) {
        /** The largest of the three. */
        public double max() {
            return Math.max(score, Math.max(gradients, logProbs));
        }
    }

    /**
     * Runs the padded pair (with its features mask, or without any when {@code masked} is false) and each row alone,
     * and compares: the batch score (DL4J: summed loss / 2 rows) against the mean of the two rows' scores, every
     * parameter gradient (of the summed loss) against the sum of theirs ({@code max|a - b| / max|b|} per array), and
     * the log-probabilities at the real input positions.
     */
    public static Differences compare(MultiLayerNetwork net, TransformerConfig config, int[][] pair, int real,
                                      boolean masked) {
        int vocab = config.vocabSize();
        DataSet batch = TransformerLM.toDataSet(config, pair, PAD, DataType.DOUBLE);
        DataSet first = TransformerLM.toDataSet(config, new int[][] {pair[0]}, PAD, DataType.DOUBLE);
        DataSet second = TransformerLM.toDataSet(config, new int[][] {Arrays.copyOf(pair[1], real + 1)}, PAD,
                DataType.DOUBLE);
        assertNotNull(batch.getFeaturesMaskArray(), "the padded batch has a features mask");
        assertNull(first.getFeaturesMaskArray(), "an unpadded row has no features mask");
        assertNull(second.getFeaturesMaskArray(), "an unpadded row has no features mask");

        Result both = run(net, batch, masked ? batch.getFeaturesMaskArray() : null, vocab);
        Result a = run(net, first, null, vocab);
        Result b = run(net, second, null, vocab);

        double expectedScore = (a.score() + b.score()) / 2;
        double score = Math.abs(both.score() - expectedScore) / Math.abs(expectedScore);
        double gradients = 0;
        for (Map.Entry<String, INDArray> e : both.gradients().entrySet()) {
            INDArray expected = a.gradients().get(e.getKey()).add(b.gradients().get(e.getKey()));
            double scale = Math.max(expected.amaxNumber().doubleValue(), 1e-300);
            gradients = Math.max(gradients, e.getValue().sub(expected).amaxNumber().doubleValue() / scale);
        }
        INDArray lp = both.targetLogProbs();                                             // [2, L]
        double logProbs = Math.max(
                lp.getRow(0).sub(a.targetLogProbs().getRow(0)).amaxNumber().doubleValue(),
                lp.get(NDArrayIndex.point(1), NDArrayIndex.interval(0, real))
                        .sub(b.targetLogProbs().getRow(0)).amaxNumber().doubleValue());
        return new Differences(score, gradients, logProbs);
    }

    /**
     * Asserts that with the mask the padded batch equals the rows alone (1e-9) and that without it the padded keys
     * change the real tokens' results far beyond rounding (1e-6): the mask is what makes them equal.
     */
    public static void assertMaskMatters(Differences masked, Differences unmasked) {
        assertTrue(masked.score() <= 1e-9, "score " + masked);
        assertTrue(masked.gradients() <= 1e-9, "gradients " + masked);
        assertTrue(masked.logProbs() <= 1e-9, "per-token log-probabilities " + masked);
        assertTrue(unmasked.score() > 1e-6, "score " + unmasked);
        assertTrue(unmasked.gradients() > 1e-6, "gradients " + unmasked);
        assertTrue(unmasked.logProbs() > 1e-6, "per-token log-probabilities " + unmasked);
    }
}
