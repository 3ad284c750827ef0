package dev.sparseattn.trainer.generate;

import static dev.sparseattn.trainer.generate.DecodeEngineTest.compare;
import static dev.sparseattn.trainer.generate.DecodeEngineTest.config;
import static dev.sparseattn.trainer.generate.DecodeEngineTest.net;
import static dev.sparseattn.trainer.generate.DecodeEngineTest.tokens;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.trainer.model.SingleThreadNd4j;
import dev.sparseattn.trainer.model.attention.AttentionSpec;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import java.util.Arrays;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * {@link SinkPositions#CAPPED} (attention sinks, StreamingLLM): a rotary sliding-window model's query past
 * {@code seqLen - 1} reads its global (sink) keys at the distance the last training position does and its window at
 * true distances. Checked against the full forward: up to {@code seqLen - 1} directly; past it, for one layer (whose
 * keys depend on their own token only), against the forward over a training-length row holding the sinks at their
 * places and the query's window at its end, the query at {@code seqLen - 1}.
 */
@ExtendWith(SingleThreadNd4j.class)
class SinkPositionsTest {

    private static final int L = 12;
    private static final int W = 3;
    private static final AttentionSpec SINKS = AttentionSpec.slidingWindow(W, true).withGlobal(0, 1);

    @ParameterizedTest
    @EnumSource(TransformerConfig.Residual.class)
    void oneLayerPastTheTrainingLengthEqualsATrainingRowWithTheSinksAndTheWindow(TransformerConfig.Residual residual) {
        MultiLayerNetwork net = net(config(new AttentionSpec[] {SINKS}, residual, TransformerConfig.Positions.ROTARY,
                L), DataType.DOUBLE);
        int[] seq = tokens(80, 5);
        int[] head = Arrays.copyOf(seq, L);
        try (DecodeEngine engine = new DecodeEngine(net, 2, 10_000, SinkPositions.CAPPED)) {
            int s = engine.open(Arrays.copyOf(seq, 3));
            for (int t = 3; t < seq.length; t++) {
                engine.step(new int[] {s}, new int[] {seq[t]});
                if (t < L) {
                    compare(net, head, t + 1, engine.logProbs(s), 1e-9);          // within seqLen: the full forward
                } else {
                    int[] row = tokens(L, 100 + t);                                 // filler nothing reads
                    row[0] = seq[0];
                    row[1] = seq[1];
                    for (int j = 0; j <= W; j++) {
                        row[L - 1 - j] = seq[t - j];
                    }
                    compare(net, row, L, engine.logProbs(s), 1e-9);
                }
            }
        }
    }

    @Test
    void deepModelEqualsTheFullForwardWithinSeqLenAndIsPrefixConsistentPastIt() {
        AttentionSpec dilated = AttentionSpec.slidingWindow(W, true).withDilations(1, 2, 1, 2).withGlobal(0, 1);
        MultiLayerNetwork net = net(config(new AttentionSpec[] {SINKS, dilated, SINKS},
                TransformerConfig.Residual.REVERSIBLE, TransformerConfig.Positions.ROTARY, L), DataType.DOUBLE);
        int[] seq = tokens(120, 8);
        int[] head = Arrays.copyOf(seq, L);
        double[][] stepped = new double[seq.length][];
        long bytes;
        try (DecodeEngine engine = new DecodeEngine(net, 2, 10_000, SinkPositions.CAPPED);
             DecodeEngine stream = new DecodeEngine(net, 1, 10_000, SinkPositions.STREAM)) {
            int s = engine.open(Arrays.copyOf(seq, 1));
            int u = stream.open(Arrays.copyOf(seq, 1));
            bytes = engine.cacheBytes();
            for (int t = 1; t < seq.length; t++) {
                engine.step(new int[] {s}, new int[] {seq[t]});
                stream.step(new int[] {u}, new int[] {seq[t]});
                stepped[t] = engine.logProbs(s).clone();
                if (t < L) {
                    compare(net, head, t + 1, stepped[t], 1e-9);
                    assertArrayEquals(stream.logProbs(u), stepped[t], 1e-12, "position " + t);
                }
            }
            assertEquals(bytes, engine.cacheBytes(), "constant memory over " + seq.length + " tokens");
            assertTrue(maxDiff(stream.logProbs(u), stepped[seq.length - 1]) > 1e-6,
                    "past seqLen the capped sinks differ from the stream positions");
            // a prompt longer than seqLen: prefilled to seqLen, stepped on, the same at every position; a second
            // sequence beside it, and a reused slot
            for (int split : new int[] {L - 1, L, L + 1, 50}) {
                int r = engine.open(Arrays.copyOf(seq, split));
                assertArrayEquals(stepped[split - 1], engine.logProbs(r), 1e-9, "prompt of " + split);
                for (int t = split; t < 70; t++) {
                    engine.step(new int[] {r}, new int[] {seq[t]});
                    assertArrayEquals(stepped[t], engine.logProbs(r), 1e-9, "prompt of " + split + ", " + t);
                }
                engine.release(r);
            }
        }
    }

    @Test
    void withoutGlobalTokensCappedEqualsStream() {
        MultiLayerNetwork net = net(config(new AttentionSpec[] {AttentionSpec.slidingWindow(W, true),
                AttentionSpec.slidingWindow(W, true)}, TransformerConfig.Residual.STANDARD,
                TransformerConfig.Positions.ROTARY, L), DataType.DOUBLE);
        int[] seq = tokens(60, 3);
        try (DecodeEngine a = new DecodeEngine(net, 1, 1000, SinkPositions.CAPPED);
             DecodeEngine b = new DecodeEngine(net, 1, 1000, SinkPositions.STREAM)) {
            int s = a.open(Arrays.copyOf(seq, 30));
            int u = b.open(Arrays.copyOf(seq, 30));
            for (int t = 30; t < seq.length; t++) {
                a.step(new int[] {s}, new int[] {seq[t]});
                b.step(new int[] {u}, new int[] {seq[t]});
                assertArrayEquals(b.logProbs(u), a.logProbs(s), 1e-9, "position " + t);
            }
        }
    }

    private static double maxDiff(double[] x, double[] y) {
        double m = 0;
        for (int i = 0; i < x.length; i++) {
            m = Math.max(m, Math.abs(x[i] - y[i]));
        }
        return m;
    }
}
