package dev.sparseattn.trainer.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.trainer.model.SingleThreadNd4j;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.attention.AttentionSpec;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * The acceptance test of incremental decoding: for every attention pattern, standard and reversible, learned and
 * rotary positions, the engine's log-probabilities after prefill and after every batched step equal
 * {@link TransformerLM#nextTokenLogProbs}, the full forward over the same tokens, at every position (1e-9 relative
 * in double, 1e-4 in float32). Three slots of different lengths (prompts ending before, at and across window, block,
 * stride and chunk boundaries of 4) step together; one is released and reused by a new sequence.
 */
@ExtendWith(SingleThreadNd4j.class)
class DecodeEngineTest {

    static final int VOCAB = 13;
    static final int SEQ = 24;

    static Stream<Arguments> patterns() {
        AttentionSpec sliding = AttentionSpec.slidingWindow(3, true).withDilations(1, 2, 1, 3).withGlobal(0, 2);
        AttentionSpec lsh = AttentionSpec.lsh(2, 4, 4, 11, true);
        AttentionSpec[][] specs = {
            {AttentionSpec.denseCausal(), AttentionSpec.denseCausal()},
            {sliding, sliding},
            {AttentionSpec.strided(4, true), AttentionSpec.strided(4, true)},
            {AttentionSpec.fixed(4, 1, false, true), AttentionSpec.fixed(4, 1, true, true)},
            {AttentionSpec.bigBird(4, 1, 1, 5, true).withGlobal(0), AttentionSpec.bigBird(4, 1, 1, 6, true)},
            {lsh},                                                       // one layer: see lshBelowAnotherLayer
            {sliding, lsh},                                              // mixed: the genomics recipe's cycle
            {AttentionSpec.strided(4, true), AttentionSpec.bigBird(4, 1, 1, 5, true)},
        };
        Stream.Builder<Arguments> out = Stream.builder();
        for (AttentionSpec[] s : specs) {
            for (TransformerConfig.Residual r : TransformerConfig.Residual.values()) {
                for (TransformerConfig.Positions p : new TransformerConfig.Positions[] {
                        TransformerConfig.Positions.LEARNED, TransformerConfig.Positions.ROTARY}) {
                    out.add(Arguments.of(name(s), s, r, p));
                }
            }
        }
        return out.build();
    }

    private static String name(AttentionSpec[] s) {
        return String.join("+", Arrays.stream(s).map(a -> a.kind().name().toLowerCase()).distinct().toList());
    }

    static TransformerConfig config(AttentionSpec[] specs, TransformerConfig.Residual residual,
                                    TransformerConfig.Positions positions, int seqLen) {
        TransformerConfig c = new TransformerConfig(VOCAB, seqLen, 16, 4, specs.length, 24, 3)
                .withAttention(specs).withResidual(residual);
        return positions == TransformerConfig.Positions.ROTARY ? c.withRotaryPositions() : c;
    }

    /** A network with large random parameters (so log-probabilities differ visibly between positions). */
    static MultiLayerNetwork net(TransformerConfig c, DataType type) {
        MultiLayerNetwork net = TransformerLM.build(c, new NoOp(), type);
        Nd4j.getRandom().setSeed(17);
        net.setParams(Nd4j.randn(DataType.DOUBLE, 1, net.numParams()).muli(0.4).castTo(type));
        return net;
    }

    static int[] tokens(int n, long seed) {
        Random r = new Random(seed);
        return r.ints(n, 0, VOCAB).toArray();
    }

    @ParameterizedTest(name = "{0}, {2}, {3}")
    @MethodSource("patterns")
    void incrementalEqualsFullForwardEverywhere(String name, AttentionSpec[] specs, TransformerConfig.Residual residual,
                                                TransformerConfig.Positions positions) {
        MultiLayerNetwork net = net(config(specs, residual, positions, SEQ), DataType.DOUBLE);
        check(net, 1e-9);
    }

    @Test
    void float32WithinTolerance() {
        AttentionSpec[] specs = {AttentionSpec.slidingWindow(3, true).withGlobal(0), AttentionSpec.lsh(2, 4, 4, 11, true)};
        check(net(config(specs, TransformerConfig.Residual.REVERSIBLE, TransformerConfig.Positions.ROTARY, SEQ),
                DataType.FLOAT), 1e-4);
        check(net(config(new AttentionSpec[] {AttentionSpec.denseCausal()}, TransformerConfig.Residual.STANDARD,
                TransformerConfig.Positions.LEARNED, SEQ), DataType.FLOAT), 1e-4);
    }

    /** Slots prefilled to 4, 9 and 1 tokens step together to the end; then slot 1 is reused by a new sequence. */
    private static void check(MultiLayerNetwork net, double tol) {
        FULL.clear();
        int[][] seqs = {tokens(SEQ, 1), tokens(SEQ - 2, 2), tokens(SEQ - 5, 3)};
        int[] prompt = {4, 9, 1};
        try (DecodeEngine engine = new DecodeEngine(net, 3, SEQ)) {
            int[] slot = new int[3];
            for (int i = 0; i < 3; i++) {
                slot[i] = engine.open(Arrays.copyOf(seqs[i], prompt[i]));
                compare(net, seqs[i], prompt[i], engine.logProbs(slot[i]), tol);
            }
            int[] len = prompt.clone();
            while (true) {
                int n = 0;
                int[] slots = new int[3];
                int[] toks = new int[3];
                for (int i = 0; i < 3; i++) {
                    if (len[i] < seqs[i].length) {
                        slots[n] = slot[i];
                        toks[n++] = seqs[i][len[i]];
                    }
                }
                if (n == 0) {
                    break;
                }
                engine.step(Arrays.copyOf(slots, n), Arrays.copyOf(toks, n));
                for (int i = 0; i < 3; i++) {
                    if (len[i] < seqs[i].length) {
                        len[i]++;
                        assertEquals(len[i], engine.length(slot[i]));
                        compare(net, seqs[i], len[i], engine.logProbs(slot[i]), tol);
                    }
                }
            }
            engine.release(slot[1]);
            assertEquals(1, engine.freeSlots());
            int[] fresh = tokens(12, 4);
            int s = engine.open(Arrays.copyOf(fresh, 8));
            compare(net, fresh, 8, engine.logProbs(s), tol);
            for (int t = 8; t < fresh.length; t++) {
                engine.step(new int[] {s}, new int[] {fresh[t]});
                compare(net, fresh, t + 1, engine.logProbs(s), tol);
            }
        }
    }

    /**
     * The engine's log-probabilities after the first {@code n} tokens against the full forward over them: one forward
     * over the whole sequence serves every position of a causal model without LSH; with LSH (whose output at a
     * position depends on later tokens) the forward over each prefix.
     */
    static void compare(MultiLayerNetwork net, int[] seq, int n, double[] got, double tol) {
        double[] want = reference(net, seq, n);
        double scale = 0;
        double err = 0;
        for (int v = 0; v < want.length; v++) {
            scale = Math.max(scale, Math.abs(want[v]));
            err = Math.max(err, Math.abs(want[v] - got[v]));
        }
        assertTrue(err <= tol * scale, "after " + n + " tokens: max error " + err + " relative " + err / scale);
    }

    private static final Map<Object, INDArray> FULL = new IdentityHashMap<>();

    private static double[] reference(MultiLayerNetwork net, int[] seq, int n) {
        TransformerConfig c = TransformerLM.config(net);
        boolean lsh = c.attention().stream().anyMatch(a -> a.kind() == AttentionSpec.Kind.LSH);
        if (lsh) {
            return TransformerLM.nextTokenLogProbs(net, Arrays.copyOf(seq, n));
        }
        INDArray probs = FULL.computeIfAbsent(seq, k -> net.output(Nd4j.createFromArray(new int[][] {seq})
                .castTo(net.params().dataType())).castTo(DataType.DOUBLE));            // [1, L, V]
        INDArray row = probs.get(NDArrayIndex.point(0), NDArrayIndex.point(n - 1), NDArrayIndex.all());
        return Transforms.log(row, true).toDoubleVector();
    }

    /**
     * An LSH layer below another layer: the full forward's LSH output at a position depends on later tokens, so the
     * engine computes every position as the forward over its own prefix (the last layer's input included). Then
     * where a prompt ends changes nothing: any split into prompt and steps gives the same log-probabilities.
     */
    @Test
    void lshBelowAnotherLayerIsPrefixConsistent() {
        AttentionSpec[] specs = {AttentionSpec.lsh(2, 4, 4, 11, true), AttentionSpec.slidingWindow(3, true)};
        MultiLayerNetwork net = net(config(specs, TransformerConfig.Residual.REVERSIBLE,
                TransformerConfig.Positions.ROTARY, SEQ), DataType.DOUBLE);
        int[] seq = tokens(SEQ, 21);
        double[][] first = null;
        for (int split : new int[] {1, 4, 9, SEQ}) {
            try (DecodeEngine engine = new DecodeEngine(net, 2, SEQ)) {
                int s = engine.open(Arrays.copyOf(seq, split));
                double[][] got = new double[SEQ + 1][];
                got[split] = engine.logProbs(s).clone();
                for (int t = split; t < SEQ; t++) {
                    engine.step(new int[] {s}, new int[] {seq[t]});
                    got[t + 1] = engine.logProbs(s).clone();
                }
                if (first == null) {
                    first = got;
                }
                for (int t = split; t <= SEQ; t++) {
                    assertArrayEquals(first[t], got[t], 1e-12, "prompt of " + split + ", position " + t);
                }
            }
        }
        // the LSH layer is the first: after one token the model equals its full forward
        compare(net, seq, 1, first[1], 1e-9);
    }

    @Test
    void rotaryModelDecodesPastItsTrainingLength() {
        AttentionSpec sw = AttentionSpec.slidingWindow(3, true).withGlobal(0);
        AttentionSpec[] specs = {sw, sw};
        TransformerConfig trained = config(specs, TransformerConfig.Residual.STANDARD,
                TransformerConfig.Positions.ROTARY, 8);
        MultiLayerNetwork net = net(trained, DataType.DOUBLE);
        // the same parameters under a longer seqLen (rotary: no position table, the same layout) as the reference
        MultiLayerNetwork longer = TransformerLM.build(config(specs, TransformerConfig.Residual.STANDARD,
                TransformerConfig.Positions.ROTARY, 200), new NoOp(), DataType.DOUBLE);
        longer.setParams(net.params());
        int[] seq = tokens(150, 9);
        try (DecodeEngine engine = new DecodeEngine(net, 1, 1000)) {
            int s = engine.open(Arrays.copyOf(seq, 5));
            long bytes = engine.cacheBytes();
            for (int t = 5; t < seq.length; t++) {
                engine.step(new int[] {s}, new int[] {seq[t]});
                if (t % 29 == 0 || t == seq.length - 1) {
                    compare(longer, seq, t + 1, engine.logProbs(s), 1e-9);
                }
            }
            assertEquals(bytes, engine.cacheBytes(), "the sliding-window cache stays bounded");
        }
    }

    @Test
    void badInputIsRefusedClearly() {
        MultiLayerNetwork net = net(config(new AttentionSpec[] {AttentionSpec.denseCausal()},
                TransformerConfig.Residual.STANDARD, TransformerConfig.Positions.LEARNED, 8), DataType.DOUBLE);
        IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                () -> new DecodeEngine(net, 1, 9));
        assertTrue(tooLong.getMessage().contains("seqLen 8"), tooLong.getMessage());
        try (DecodeEngine engine = new DecodeEngine(net, 1, 8)) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> engine.open(new int[0])).getMessage()
                    .contains("at least one token"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> engine.open(new int[9])).getMessage()
                    .contains("seqLen 8"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> engine.open(new int[] {1, VOCAB}))
                    .getMessage().contains("outside the vocabulary"));
            int s = engine.open(new int[7]);
            assertThrows(IllegalStateException.class, () -> engine.open(new int[] {1}));
            engine.step(new int[] {s}, new int[] {2});
            assertTrue(assertThrows(IllegalArgumentException.class, () -> engine.step(new int[] {s}, new int[] {2}))
                    .getMessage().contains("full"));
            engine.release(s);
            assertThrows(IllegalArgumentException.class, () -> engine.logProbs(s));
        }
    }
}
