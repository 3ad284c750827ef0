package dev.sparseattn.trainer.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.tokenize.ByteTokenizer;
import dev.sparseattn.trainer.model.SingleThreadNd4j;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.attention.AttentionSpec;
import dev.sparseattn.trainer.model.network.LmParams;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * {@link Generator} on a real engine and the byte tokenizer: greedy decoding follows the full forward's argmax,
 * seeded sampling repeats (alone or batched with other requests), top-k 1 and a tiny top-p are greedy, stop strings
 * end the text before them (nothing past them is emitted), EOS, the token limit and a full context end a request.
 * The random model's output bias favours printable ASCII, so texts are plain characters.
 */
@ExtendWith(SingleThreadNd4j.class)
class GeneratorTest {

    private static final ByteTokenizer TOK = new ByteTokenizer();
    private static MultiLayerNetwork net;

    @BeforeAll
    static void model() {
        TransformerConfig c = new TransformerConfig(ByteTokenizer.VOCAB_SIZE, 64, 16, 2, 2, 32, 5)
                .withAttention(AttentionSpec.slidingWindow(8, true)).withRotaryPositions();
        net = TransformerLM.build(c, new NoOp(), DataType.DOUBLE);
        Nd4j.getRandom().setSeed(23);
        net.setParams(Nd4j.randn(DataType.DOUBLE, 1, net.numParams()).muli(0.5));
        INDArray bias = TransformerLM.layer(net).paramTable().get(LmParams.HEAD_B);
        for (int id = 0; id < ByteTokenizer.VOCAB_SIZE; id++) {
            bias.putScalar(id, id >= 'a' && id <= 'z' || id == ' ' ? 3.0 : -30.0);
        }
    }

    private static GenerationConfig sampled(long seed, int n, List<String> stop) {
        return new GenerationConfig(1.0, 0, 1.0, n, stop, true, seed);
    }

    @Test
    void greedyFollowsTheFullForward() {
        try (DecodeEngine engine = new DecodeEngine(net, 1, 64)) {
            Generator.Result r = new Generator(engine, TOK).generate("ab", GenerationConfig.greedy(20), null);
            List<Integer> ctx = new ArrayList<>(List.of(ByteTokenizer.EOS, (int) 'a', (int) 'b'));
            for (int t : r.tokens()) {
                double[] lp = TransformerLM.nextTokenLogProbs(net, ctx.stream().mapToInt(Integer::intValue).toArray());
                int best = 0;
                for (int v = 1; v < lp.length; v++) {
                    best = lp[v] > lp[best] ? v : best;
                }
                assertEquals(best, t);
                ctx.add(t);
            }
            assertEquals(20, r.tokens().length);
            assertEquals(Generator.LENGTH, r.finishReason());
            assertEquals(TOK.decode(r.tokens()), r.text());
        }
    }

    @Test
    void seededSamplingRepeatsAloneAndBatched() {
        try (DecodeEngine engine = new DecodeEngine(net, 4, 64)) {
            Generator g = new Generator(engine, TOK);
            Generator.Result alone = g.generate("the", sampled(7, 30, List.of()), null);
            List<Generator.Result> batched = g.generateAll(List.of(
                    new Generator.Request("xyz abc", sampled(1, 12, List.of()), null),
                    new Generator.Request("the", sampled(7, 30, List.of()), null),
                    new Generator.Request("q", sampled(2, 40, List.of()), null)));
            assertEquals(alone.text(), batched.get(1).text());
            assertArrayEquals(alone.tokens(), batched.get(1).tokens());
            assertNotEquals(alone.text(), g.generate("the", sampled(8, 30, List.of()), null).text());
            assertEquals(4, engine.freeSlots(), "finished requests release their slots");
        }
    }

    /**
     * An LSH layer below another one: the engine prefills token by token, and the generator feeds a prompt's tokens
     * after the first in the following batched steps, beside other sequences. Greedy tokens and their
     * log-probabilities equal, bit for bit, the engine's own token-by-token {@code open} of the whole prompt followed
     * by argmax steps alone.
     */
    @Test
    void stepwisePrefillSharesStepsAndEqualsOpeningAlone() {
        TransformerConfig c = new TransformerConfig(ByteTokenizer.VOCAB_SIZE, 64, 16, 2, 2, 32, 5)
                .withAttention(AttentionSpec.lsh(2, 4, 4, 11, true), AttentionSpec.slidingWindow(8, true))
                .withRotaryPositions();
        MultiLayerNetwork lshNet = TransformerLM.build(c, new NoOp(), DataType.DOUBLE);
        Nd4j.getRandom().setSeed(29);
        lshNet.setParams(Nd4j.randn(DataType.DOUBLE, 1, lshNet.numParams()).muli(0.5));
        String[] prompts = {"the quick brown fox", "ab", "jumps over the lazy dog"};
        int[] lengths = {15, 30, 9};
        List<List<Double>> logProbs = new ArrayList<>();
        List<Generator.Request> requests = new ArrayList<>();
        for (int r = 0; r < prompts.length; r++) {
            List<Double> lp = new ArrayList<>();
            logProbs.add(lp);
            requests.add(new Generator.Request(prompts[r], new GenerationConfig(0, 0, 1, lengths[r], List.of(), false, 0),
                    e -> lp.add(e.logProb())));
        }
        List<Generator.Result> batched;
        try (DecodeEngine engine = new DecodeEngine(lshNet, 3, 64)) {
            assertTrue(engine.prefillsStepwise());
            batched = new Generator(engine, TOK).generateAll(requests);
        }
        for (int r = 0; r < prompts.length; r++) {
            try (DecodeEngine alone = new DecodeEngine(lshNet, 1, 64)) {
                byte[] text = prompts[r].getBytes(java.nio.charset.StandardCharsets.UTF_8);
                int[] ctx = new int[text.length + 1];
                ctx[0] = ByteTokenizer.EOS;
                for (int i = 0; i < text.length; i++) {
                    ctx[i + 1] = text[i] & 0xff;
                }
                int slot = alone.open(ctx);
                for (int t = 0; t < lengths[r]; t++) {
                    double[] lp = alone.logProbs(slot);
                    int best = 0;
                    for (int v = 1; v < lp.length; v++) {
                        best = lp[v] > lp[best] ? v : best;
                    }
                    assertEquals(best, batched.get(r).tokens()[t], "request " + r + ", token " + t);
                    assertEquals(lp[best], logProbs.get(r).get(t), 0.0, "request " + r + ", token " + t);
                    alone.step(new int[] {slot}, new int[] {best});
                }
            }
        }
    }

    @Test
    void topOneAndTinyNucleusAreGreedy() {
        try (DecodeEngine engine = new DecodeEngine(net, 1, 64)) {
            Generator g = new Generator(engine, TOK);
            String greedy = g.generate("ab", GenerationConfig.greedy(25), null).text();
            assertEquals(greedy, g.generate("ab", new GenerationConfig(1.5, 1, 1.0, 25, List.of(), true, 3), null)
                    .text());
            assertEquals(greedy, g.generate("ab", new GenerationConfig(1.5, 0, 1e-9, 25, List.of(), true, 4), null)
                    .text());
        }
    }

    @Test
    void stopStringEndsTheTextBeforeIt() {
        try (DecodeEngine engine = new DecodeEngine(net, 1, 64)) {
            Generator g = new Generator(engine, TOK);
            String full = g.generate("ab", sampled(11, 40, List.of()), null).text();
            String stop = full.substring(17, 20);
            int at = full.indexOf(stop);
            StringBuilder streamed = new StringBuilder();
            Generator.Result r = g.generate("ab", sampled(11, 40, List.of("#never#", stop)),
                    e -> streamed.append(e.text()));
            assertEquals(full.substring(0, at), r.text());
            assertEquals(r.text(), streamed.toString(), "nothing past the stop string was emitted");
            assertEquals(Generator.STOP, r.finishReason());
            assertEquals(at + stop.length(), r.tokens().length, "one byte a token: it stopped at the stop string");
        }
    }

    @Test
    void endOfDocumentEndsTheRequest() {
        MultiLayerNetwork eos = net.clone();
        TransformerLM.layer(eos).paramTable().get(LmParams.HEAD_B).putScalar(ByteTokenizer.EOS, 100.0);
        try (DecodeEngine engine = new DecodeEngine(eos, 1, 64)) {
            Generator g = new Generator(engine, TOK);
            Generator.Result r = g.generate("ab", sampled(1, 10, List.of()), null);
            assertEquals(Generator.EOS, r.finishReason());
            assertEquals(0, r.tokens().length);
            Generator.Result on = g.generate("ab", new GenerationConfig(1, 0, 1, 3, List.of(), false, 1), null);
            assertEquals(Generator.LENGTH, on.finishReason());
            assertArrayEquals(new int[] {ByteTokenizer.EOS, ByteTokenizer.EOS, ByteTokenizer.EOS}, on.tokens());
        }
    }

    @Test
    void fullContextEndsOrSlides() {
        try (DecodeEngine engine = new DecodeEngine(net, 1, 16)) {
            Generator.Result cut = new Generator(engine, TOK).generate("abcd", GenerationConfig.greedy(40), null);
            assertEquals(Generator.CONTEXT, cut.finishReason());
            assertEquals(16 - 5 + 1, cut.tokens().length, "the last token is sampled from a full slot");
            Generator.Result slid = new Generator(engine, TOK, true).generate("abcd", GenerationConfig.greedy(40),
                    null);
            assertEquals(Generator.LENGTH, slid.finishReason());
            assertEquals(40, slid.tokens().length);
            assertEquals(cut.text(), slid.text().substring(0, cut.text().length()));
        }
    }

    @Test
    void badConfigurationIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new GenerationConfig(-1, 0, 1, 5, List.of(), true, 0));
        assertThrows(IllegalArgumentException.class, () -> new GenerationConfig(1, -1, 1, 5, List.of(), true, 0));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new GenerationConfig(1, 0, 0, 5, List.of(), true, 0)).getMessage().contains("topP"));
        assertThrows(IllegalArgumentException.class, () -> new GenerationConfig(1, 0, 1, 0, List.of(), true, 0));
        assertThrows(IllegalArgumentException.class, () -> new GenerationConfig(1, 0, 1, 5, List.of(""), true, 0));
        assertEquals(List.of("a"), new GenerationConfig(1, 0, 1, 5, Arrays.asList("a"), true, 0).stop());
    }

    @Test
    void requestsJoinLeaveAndCancelBetweenSteps() {
        try (DecodeEngine engine = new DecodeEngine(net, 2, 64)) {
            Generator g = new Generator(engine, TOK);
            String alone = g.generate("ab", sampled(5, 15, List.of()), null).text();
            StringBuilder streamed = new StringBuilder();
            Generator.Sequence a = g.start("ab", sampled(5, 15, List.of()), e -> streamed.append(e.text()));
            Generator.Sequence b = g.start("zz", sampled(6, 50, List.of()), null);
            List<Generator.Sequence> running = new ArrayList<>(List.of(a, b));
            for (int i = 0; i < 5; i++) {
                g.step(running);
            }
            b.cancel();                                              // its client went away
            assertEquals(Generator.CANCELLED, b.result().finishReason());
            assertEquals(1, engine.freeSlots());
            Generator.Sequence c = g.start("q", sampled(7, 3, List.of()), null);   // joins mid-run
            running = new ArrayList<>(List.of(a, c));
            while (!a.done() || !c.done()) {
                g.step(running);
            }
            assertEquals(alone, a.result().text(), "joining and leaving neighbours change nothing");
            assertEquals(alone, streamed.toString());
            assertEquals(3, c.result().tokens().length);
            assertEquals(2, engine.freeSlots());
        }
    }
}
