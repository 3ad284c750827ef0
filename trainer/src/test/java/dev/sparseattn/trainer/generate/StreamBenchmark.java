package dev.sparseattn.trainer.generate;

import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.attention.AttentionSpec;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import java.util.Arrays;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * One stream of {@code bench.streamTokens} tokens (default 1,000,000) through a 6-layer rotary sliding-window model
 * (window {@code bench.window}, d {@code bench.d}, 4 global sink tokens, {@link SinkPositions#CAPPED}, float32,
 * trained length 1,024, random weights), one token at a time: per block of {@code bench.every} tokens the median and
 * p99 time per token, the cache's bytes, the JVM's used heap and the process's resident memory. Not a timed test: it
 * prints as it goes (also into the file {@code bench.out}, if given).
 *
 * <pre>
 * mvn -B -pl trainer -am test -Pslow -Dtest=StreamBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dbench.streamTokens=1000000 -Dbench.window=128 -Dbench.d=128
 * </pre>
 */
@Tag("slow")
class StreamBenchmark {

    /** Prints a line, and appends it to the file {@code bench.out} when set (surefire holds output until the end). */
    static void print(String line) {
        System.out.println(line);
        String file = System.getProperty("bench.out", "");
        if (!file.isEmpty()) {
            try {
                java.nio.file.Files.writeString(java.nio.file.Paths.get(file), line + "\n",
                        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    @Test
    void constantTimeAndMemoryOverAStream() {
        int tokens = Integer.getInteger("bench.streamTokens", 1_000_000);
        int window = Integer.getInteger("bench.window", 128);
        int d = Integer.getInteger("bench.d", 128);
        int every = Integer.getInteger("bench.every", 50_000);
        TransformerConfig config = new TransformerConfig(258, 1024, d, 4, 6, 4 * d, 1)
                .withAttention(AttentionSpec.slidingWindow(window, true).withGlobal(0, 1, 2, 3)).withRotaryPositions();
        MultiLayerNetwork net = TransformerLM.build(config, new NoOp());
        Random random = new Random(1);
        Runtime rt = Runtime.getRuntime();
        print(String.format("stream: sliding-%d 6x%d rotary, 4 sinks capped; tokens | median ms | p99 ms | cache MB "
                + "| heap MB", window, d));
        try (DecodeEngine engine = new DecodeEngine(net, 1, Integer.MAX_VALUE - 1, SinkPositions.CAPPED)) {
            int slot = engine.open(random.ints(16, 0, 256).toArray());
            int[] s = {slot};
            int[] next = new int[1];
            long[] t = new long[every];
            long start = System.nanoTime();
            for (int done = 16; done < tokens; ) {
                int n = Math.min(every, tokens - done);
                for (int i = 0; i < n; i++) {
                    next[0] = random.nextInt(256);
                    long a = System.nanoTime();
                    engine.step(s, next);
                    t[i] = System.nanoTime() - a;
                }
                done += n;
                long[] u = Arrays.copyOf(t, n);
                Arrays.sort(u);
                print(String.format("stream: %,d | %.3f | %.3f | %.2f | %.0f | RSS %.0f MB  (%.0f s)", done,
                        u[n / 2] / 1e6, u[Math.min(n - 1, (int) Math.ceil(0.99 * n) - 1)] / 1e6,
                        engine.cacheBytes() / 1e6, (rt.totalMemory() - rt.freeMemory()) / 1e6,
                        DecodeBenchmark.rssMb(), (System.nanoTime() - start) / 1e9));
            }
        }
    }
}
