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
 * Time per step (median and p99 of one-token engine steps of {@code bench.batch} slots, default 1, float32) after a prompt of each
 * context length, against today's full recomputation ({@link TransformerLM#nextTokenLogProbs} over the context):
 * the quickstart shape (dense, 2 layers, d 128, 4 heads, ffn 512, byte vocabulary) and a 6-layer d 128 model with
 * sliding window 128 and rotary positions (trained length 1,024; decoded past it). Not a timed test: it prints.
 *
 * <pre>
 * mvn -B -pl trainer -am test -Pslow -Dtest=DecodeBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dbench.contexts=1024,4096,16384,65536 -Dbench.steps=300 -Dbench.recomputeMax=4096
 * </pre>
 * The PyTorch peer with a key/value cache is {@code decode_torch.py} beside this file.
 */
@Tag("slow")
class DecodeBenchmark {

    @Test
    void timePerToken() {
        int[] contexts = Arrays.stream(System.getProperty("bench.contexts", "1024,4096,16384,65536").split(","))
                .mapToInt(Integer::parseInt).toArray();
        int steps = Integer.getInteger("bench.steps", 300);
        int recomputeMax = Integer.getInteger("bench.recomputeMax", 4096);
        int denseMax = Integer.getInteger("bench.denseMax", 1024);
        int batch = Integer.getInteger("bench.batch", 1);
        System.out.println("model | context | prefill s | step median ms | step p99 ms | cache MB | recompute ms");
        for (int context : contexts) {
            if (context <= denseMax) {
                TransformerConfig dense = new TransformerConfig(258, context + steps + 64, 128, 4, 2, 512, 1);
                run("dense 2x128", dense, context, steps, recomputeMax, batch);
            }
            TransformerConfig window = new TransformerConfig(258, 1024, 128, 4, 6, 512, 1)
                    .withAttention(AttentionSpec.slidingWindow(128, true)).withRotaryPositions();
            run("sliding-128 6x128 rotary", window, context, steps, recomputeMax, batch);
        }
    }

    /** {@code batch} slots prefilled with {@code context} tokens each, stepped together (time per batched step). */
    private static void run(String name, TransformerConfig config, int context, int steps, int recomputeMax,
                            int batch) {
        MultiLayerNetwork net = TransformerLM.build(config, new NoOp());
        Random random = new Random(1);
        int[] prompt = random.ints(context, 0, 256).toArray();
        try (DecodeEngine engine = new DecodeEngine(net, batch, context + steps + 64)) {
            long t0 = System.nanoTime();
            int[] slots = new int[batch];
            for (int b = 0; b < batch; b++) {
                slots[b] = engine.open(prompt);
            }
            double prefill = (System.nanoTime() - t0) / 1e9 / batch;
            int[] next = new int[batch];
            int warm = Math.min(50, steps / 3);
            long[] t = new long[steps];
            for (int s = 0; s < warm + steps; s++) {
                long a = System.nanoTime();
                for (int b = 0; b < batch; b++) {
                    next[b] = random.nextInt(256);
                }
                engine.step(slots, next);
                if (s >= warm) {
                    t[s - warm] = System.nanoTime() - a;
                }
            }
            Arrays.sort(t);
            double median = t[steps / 2] / 1e6;
            double p99 = t[Math.min(steps - 1, (int) Math.ceil(0.99 * steps) - 1)] / 1e6;
            String recompute = "";
            if (context <= recomputeMax && context <= config.seqLen()) {
                TransformerLM.nextTokenLogProbs(net, prompt);                              // warm-up
                long[] r = new long[3];
                for (int i = 0; i < r.length; i++) {
                    long a = System.nanoTime();
                    TransformerLM.nextTokenLogProbs(net, prompt);
                    r[i] = System.nanoTime() - a;
                }
                Arrays.sort(r);
                recompute = String.format("%.1f", r[1] / 1e6);
            } else {
                recompute = context > config.seqLen() ? "n/a (past seq-len)" : "skipped";
            }
            System.out.printf("%s, batch %d | %,d | %.2f | %.3f | %.3f | %.2f | %s%n", name, batch, context, prefill,
                    median, p99,
                    engine.cacheBytes() / 1e6, recompute);
        }
    }
}
