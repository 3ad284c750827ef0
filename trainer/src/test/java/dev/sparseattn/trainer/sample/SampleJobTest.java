package dev.sparseattn.trainer.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.config.ConfigError;
import dev.sparseattn.datasets.config.JobArgs;
import dev.sparseattn.datasets.tokenize.ByteTokenizer;
import dev.sparseattn.trainer.generate.DecodeEngine;
import dev.sparseattn.trainer.generate.SinkPositions;
import dev.sparseattn.trainer.model.SingleThreadNd4j;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.attention.AttentionSpec;
import dev.sparseattn.trainer.model.network.LmParams;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * The sample job on the decode engine, with a saved model directory (a random byte-level model whose output favours
 * lower-case letters): prompt from the config, a file and stdin give the same text; tokens are printed as they
 * come (each flushed); a model with learned positions refuses a context past its seq-len naming the limit, or slides
 * when configured to and says so; a rotary model goes past its seq-len.
 */
@ExtendWith(SingleThreadNd4j.class)
class SampleJobTest {

    @TempDir
    static Path tmp;
    private static Path learned;
    private static Path rotary;
    private static Path sinks;

    @BeforeAll
    static void models() throws Exception {
        TransformerConfig c = new TransformerConfig(ByteTokenizer.VOCAB_SIZE, 32, 16, 2, 2, 32, 5)
                .withAttention(AttentionSpec.slidingWindow(8, true));
        learned = save(c, "learned");
        rotary = save(c.withRotaryPositions(), "rotary");
        sinks = save(c.withAttention(AttentionSpec.slidingWindow(4, true).withGlobal(0, 1)).withRotaryPositions(),
                "sinks");
    }

    private static Path save(TransformerConfig c, String name) throws Exception {
        MultiLayerNetwork net = TransformerLM.build(c, new Adam(1e-3));
        Nd4j.getRandom().setSeed(23);
        net.setParams(Nd4j.randn(DataType.FLOAT, 1, net.numParams()).muli(0.5));
        for (int id = 0; id < ByteTokenizer.VOCAB_SIZE; id++) {
            TransformerLM.layer(net).paramTable().get(LmParams.HEAD_B)
                    .putScalar(id, id >= 'a' && id <= 'z' || id == ' ' ? 3.0 : -30.0);
        }
        Path dir = Files.createDirectories(tmp.resolve(name));
        TransformerLM.save(net, c, dir.resolve("model.zip").toFile(), false);
        Files.writeString(dir.resolve("tokenizer.json"),
                new ObjectMapper().writeValueAsString(new ByteTokenizer().describe()));
        return dir;
    }

    private static SampleConfig config(Path model, String... overrides) {
        List<String> all = new ArrayList<>(List.of("sample.model=\"" + model + "\"", "sample.seed=3"));
        all.addAll(List.of(overrides));
        return SampleConfig.parse(JobArgs.parseOverrides(all));
    }

    /** Counts flushes, so the test sees tokens printed one at a time. */
    private static final class Flushes extends PrintStream {
        int flushes;

        Flushes(OutputStream out) {
            super(out, false, StandardCharsets.UTF_8);
        }

        @Override
        public void flush() {
            flushes++;
            super.flush();
        }
    }

    @Test
    void promptFromConfigFileOrStdinStreamsTheSameText() throws Exception {
        String fromConfig = Sample.run(config(learned, "sample.prompt=\"the sea\"", "sample.max-new-tokens=20",
                "sample.stop-at-eos=false"));
        assertTrue(fromConfig.startsWith("the sea") && fromConfig.length() == "the sea".length() + 20, fromConfig);
        Path file = tmp.resolve("prompt.txt");
        Files.writeString(file, "the sea");
        assertEquals(fromConfig, Sample.run(config(learned, "sample.prompt-file=\"" + file + "\"",
                "sample.max-new-tokens=20", "sample.stop-at-eos=false")));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Flushes out = new Flushes(bytes);
        String fromStdin = Sample.run(config(learned, "sample.prompt-file=\"-\"", "sample.max-new-tokens=20",
                "sample.stop-at-eos=false"), out, out,
                new ByteArrayInputStream("the sea".getBytes(StandardCharsets.UTF_8)));
        assertEquals(fromConfig, fromStdin);
        assertEquals(fromConfig + System.lineSeparator(), bytes.toString(StandardCharsets.UTF_8));
        assertTrue(out.flushes >= 21, "the prompt and each of the 20 tokens flushed: " + out.flushes);
    }

    @Test
    void absolutePositionsRefuseOrSlidePastSeqLen() throws Exception {
        ConfigError e = assertThrows(ConfigError.class, () -> Sample.run(config(learned, "sample.prompt=\"ab\"",
                "sample.max-new-tokens=40")));
        assertTrue(e.getMessage().contains("seq-len 32") && e.getMessage().contains("sample.overflow"),
                e.getMessage());
        ByteArrayOutputStream notes = new ByteArrayOutputStream();
        PrintStream n = new PrintStream(notes, true, StandardCharsets.UTF_8);
        PrintStream none = new PrintStream(OutputStream.nullOutputStream());
        String slid = Sample.run(config(learned, "sample.prompt=\"ab\"", "sample.max-new-tokens=40",
                "sample.stop-at-eos=false", "sample.overflow=slide"), none, n, System.in);
        assertEquals(2 + 40, slid.length());
        assertTrue(notes.toString(StandardCharsets.UTF_8).contains("slide"), notes.toString());
        String far = Sample.run(config(rotary, "sample.prompt=\"ab\"", "sample.max-new-tokens=60",
                "sample.stop-at-eos=false"));
        assertEquals(2 + 60, far.length(), "a rotary model needs no slide");
        ConfigError noStream = assertThrows(ConfigError.class, () -> Sample.run(config(learned,
                "sample.prompt=\"ab\"", "sample.max-new-tokens=40", "sample.overflow=stream")));
        assertTrue(noStream.getMessage().contains("sample.overflow") && noStream.getMessage().contains("rotary"),
                noStream.getMessage());
    }

    @Test
    void rotaryModelsStreamWithSinks() throws Exception {
        ByteArrayOutputStream notes = new ByteArrayOutputStream();
        PrintStream n = new PrintStream(notes, true, StandardCharsets.UTF_8);
        PrintStream none = new PrintStream(OutputStream.nullOutputStream());
        String text = Sample.run(config(sinks, "sample.prompt=\"ab\"", "sample.max-new-tokens=100",
                "sample.stop-at-eos=false", "sample.temperature=0", "sample.overflow=stream"), none, n, System.in);
        assertTrue(notes.toString(StandardCharsets.UTF_8).contains("attention sinks"), notes.toString());
        // greedy: the same text as the engine with capped sinks (past the seq-len of 32), token by token
        MultiLayerNetwork net = TransformerLM.load(sinks.resolve("model.zip").toFile(), false).network();
        assertEquals(greedy(net, SinkPositions.CAPPED, 100), text.substring(2));
        assertEquals(2 + 100, text.length());
    }

    private static String greedy(MultiLayerNetwork net, SinkPositions sinkPositions, int n) {
        StringBuilder out = new StringBuilder();
        try (DecodeEngine engine = new DecodeEngine(net, 1, 200, sinkPositions)) {
            int s = engine.open(new int[] {ByteTokenizer.EOS, 'a', 'b'});
            for (int t = 0; t < n; t++) {
                double[] lp = engine.logProbs(s);
                int best = 0;
                for (int v = 1; v < lp.length; v++) {
                    best = lp[v] > lp[best] ? v : best;
                }
                out.append((char) best);
                engine.step(new int[] {s}, new int[] {best});
            }
        }
        return out.toString();
    }

    @Test
    void promptAndPromptFileAreExclusive() {
        ConfigError both = assertThrows(ConfigError.class, () -> config(learned, "sample.prompt=\"a\"",
                "sample.prompt-file=\"x\""));
        assertTrue(both.getMessage().contains("sample.prompt-file"), both.getMessage());
        ConfigError none = assertThrows(ConfigError.class, () -> config(learned));
        assertTrue(none.getMessage().contains("sample.prompt"), none.getMessage());
    }
}
