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
 * Time per step (median and p99 of one-token engine steps of {@code bench.batch} slots, default 1, float32) after a
 * prompt of each context length, the cache's bytes and the process's resident memory, against today's full
 * recomputation ({@link TransformerLM#nextTokenLogProbs} over the context, up to {@code bench.recomputeMax}). Models
 * ({@code bench.models}, each with its contexts unless {@code bench.contexts} is given; byte vocabulary, 4 heads,
 * ffn 4 d, random weights):
 * <ul>
 *   <li>{@code dense}: the quickstart shape (2 layers, d 128, learned positions), 1k and 4k;
 *   <li>{@code sw128-d128}, {@code sw256-d128}, {@code sw128-d256}, {@code sw256-d256}: 6 layers, sliding window,
 *       rotary (trained length 1,024; decoded past it), 1k, 4k, 16k and 64k;
 *   <li>{@code strided}, {@code fixed}, {@code bigbird}, {@code lsh}: 6 layers, d 128, rotary, 4k and 16k (strided
 *       and fixed stride 128, fixed summary 8; BigBird blocks of 64, one side block, 2 random, global token 0; LSH
 *       5 sliding-window-128 layers under one LSH layer of 2 rounds, 32 buckets, chunks of 128 (the top-layer case,
 *       prefilled by one forward; LSH feeding another layer prefills token by token, see the README)).
 * </ul>
 * Not a timed test: it prints (also into the file {@code bench.out}, if given).
 *
 * <pre>
 * mvn -B -pl trainer -am test -Pslow -Dtest=DecodeBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dbench.models=dense,sw128-d128,strided -Dbench.steps=300 -Dbench.recomputeMax=4096
 * </pre>
 * The PyTorch peer with a key/value cache is {@code decode_torch.py} beside this file.
 */
@Tag("slow")
class DecodeBenchmark {

    private static final int[] LONG = {1024, 4096, 16384, 65536};
    private static final int[] MID = {4096, 16384};

    @Test
    void timePerToken() {
        String given = System.getProperty("bench.contexts", "");
        int[] only = given.isEmpty() ? null : Arrays.stream(given.split(",")).mapToInt(Integer::parseInt).toArray();
        int steps = Integer.getInteger("bench.steps", 300);
        int recomputeMax = Integer.getInteger("bench.recomputeMax", 4096);
        int batch = Integer.getInteger("bench.batch", 1);
        String[] models = System.getProperty("bench.models",
                "dense,sw128-d128,sw256-d128,sw128-d256,sw256-d256,strided,fixed,bigbird,lsh").split(",");
        StreamBenchmark.print("model | context | prefill s | step median ms | step p99 ms | cache MB | RSS MB | "
                + "recompute ms");
        for (String m : models) {
            int[] contexts = only != null ? only : m.equals("dense") ? new int[] {1024, 4096}
                    : m.startsWith("sw") ? LONG : MID;
            for (int context : contexts) {
                run(m, model(m, context + steps + 64), context, steps, recomputeMax, batch);
            }
        }
    }

    /** The benchmark's model {@code name}; {@code need} positions for the dense model's learned table. */
    static TransformerConfig model(String name, int need) {
        if (name.equals("dense")) {
            return new TransformerConfig(258, need, 128, 4, 2, 512, 1);
        }
        if (name.startsWith("sw")) {
            int w = Integer.parseInt(name.substring(2, name.indexOf('-')));
            int d = Integer.parseInt(name.substring(name.indexOf("-d") + 2));
            return new TransformerConfig(258, 1024, d, 4, 6, 4 * d, 1)
                    .withAttention(AttentionSpec.slidingWindow(w, true)).withRotaryPositions();
        }
        TransformerConfig base = new TransformerConfig(258, 1024, 128, 4, 6, 512, 1).withRotaryPositions();
        AttentionSpec sw = AttentionSpec.slidingWindow(128, true);
        return switch (name) {
            case "strided" -> base.withAttention(AttentionSpec.strided(128, true));
            case "fixed" -> base.withAttention(AttentionSpec.fixed(128, 8, false, true));
            case "bigbird" -> base.withAttention(AttentionSpec.bigBird(64, 1, 2, 7, true).withGlobal(0));
            case "lsh" -> base.withAttention(sw, sw, sw, sw, sw, AttentionSpec.lsh(2, 32, 128, 1, true));
            default -> throw new IllegalArgumentException("unknown bench model " + name);
        };
    }

    /** Resident memory of this process (VmRSS), in MB; -1 where /proc is absent. */
    static double rssMb() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Paths.get("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1e3;
                }
            }
        } catch (java.io.IOException e) {
            return -1;
        }
        return -1;
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
            StreamBenchmark.print(String.format("%s, batch %d | %,d | %.2f | %.3f | %.3f | %.2f | %.0f | %s", name,
                    batch, context, prefill, median, p99, engine.cacheBytes() / 1e6, rssMb(), recompute));
        }
    }
}
