package dev.sparseattn.trainer.model.attention;

import dev.sparseattn.trainer.bench.Sgemm;
import dev.sparseattn.trainer.bench.TorchPeer;
import dev.sparseattn.trainer.model.PeakMemory;
import dev.sparseattn.trainer.model.ops.Alloc;
import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.transforms.custom.DotProductAttention;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Forward+backward time, peak memory and useful GFLOP/s of every attention pattern beside DL4J's own dense attention
 * (the {@code dot_product_attention} / {@code dot_product_attention_bp} ops that DL4J's attention layers run) and
 * the machine's ND4J SGEMM rate, all in one run: batch 1, 4 heads of 64, float32, window 256. The SGEMM rate of
 * each row is measured in that row's process right after its pattern (this machine's speed drifts by up to 2x over
 * minutes, so a single figure at the start would skew the ratios). Not a unit test:
 * <pre>
 * mvn -B -pl trainer test -Pslow -Dtest=AttentionBenchmark [-Dbench.lengths=1024,4096,8192,16384,65536]
 *     [-Dbench.reps=2] [-Dbench.patterns=dl4j-dense,sliding-causal,...]
 * </pre>
 * Each (pattern, length) runs in a fresh JVM (same class path and flags) so that memory freed by earlier runs does
 * not hide its needs: peak memory is the largest resident size of that process ({@code Pointer.physicalBytes()}:
 * ND4J's off-heap buffers plus the heap) sampled every millisecond while the pattern runs (warm-up and timed runs),
 * minus the value before its kernel and inputs were created. A pattern whose projected time at the next length
 * exceeds {@code bench.maxSeconds} (default 150) is skipped there. The sliding-window rows are followed by their
 * PyTorch peer, run in the same sitting ({@link #torchPeer}). Also runnable as a plain main (same properties).
 */
@Tag("slow")
class AttentionBenchmark {

    static final int HEADS = 4;
    static final int HEAD_DIM = 64;
    static final int WINDOW = 256;
    static final DataType T = DataType.FLOAT;

    /** A row of the PyTorch peer: {@code sliding-causal n=  4096 fwd+bwd    0.500 s}. */
    private static final java.util.regex.Pattern TORCH_ROW =
            java.util.regex.Pattern.compile("n=\\s*(\\d+) fwd\\+bwd\\s+([0-9.]+) s");

    /** One pattern: how to build it and how many multiply-adds x2 its computed blocks take (forward + backward). */
    record Pattern(String name, Supplier<Attention> kernel, java.util.function.LongToDoubleFunction flops,
                   long maxLen) {
    }

    static List<Pattern> patterns() {
        long bh = HEADS;
        long d = HEAD_DIM;
        long w = WINDOW;
        List<Pattern> p = new ArrayList<>();
        // 6 matrix products (QK^T, PV; dV, dP, dQ, dK) of 2 * rows * keys * d flops each
        p.add(new Pattern("sliding-causal", () -> new SlidingWindowAttention(WINDOW, true, 0),
                n -> 12.0 * bh * n * 2 * w * d, Long.MAX_VALUE));
        p.add(new Pattern("sliding-bidir", () -> new SlidingWindowAttention(WINDOW, false, 0),
                n -> 12.0 * bh * n * 3 * w * d, Long.MAX_VALUE));
        p.add(new Pattern("sliding+global2", () -> new SlidingWindowAttention(WINDOW, false, 0).withGlobal(0, -1),
                n -> 12.0 * bh * n * (3 * w + 2) * d + 12.0 * bh * 2 * n * d, Long.MAX_VALUE));
        p.add(new Pattern("dilated-1,2,4,8", () -> new SlidingWindowAttention(WINDOW / 8, true, 0, 1, 2, 4, 8),
                n -> 12.0 * bh * n * 2 * w * d, Long.MAX_VALUE));
        p.add(new Pattern("strided-l256", () -> Attentions.create(AttentionSpec.strided(WINDOW, true), HEADS),
                n -> 12.0 * bh / 2 * n * 2 * w * d + 12.0 * bh / 2 * n * Math.ceil(n / (double) w) * d,
                Long.MAX_VALUE));
        p.add(new Pattern("fixed-l256c8", () -> Attentions.create(AttentionSpec.fixed(WINDOW, 8, true, true), HEADS),
                n -> 12.0 * bh / 2 * n * w * d + 12.0 * bh / 2 * n * Math.ceil(n / (double) w) * 8 * d,
                Long.MAX_VALUE));
        p.add(new Pattern("bigbird-b256r3g2", () -> new BigBirdAttention(WINDOW, 1, 3, 1, false).withGlobal(0, -1),
                n -> 12.0 * bh * n * (6 * w + 2) * d + 12.0 * bh * 2 * n * d, Long.MAX_VALUE));
        p.add(new Pattern("lsh-h2-c256", () -> new LshAttention(2, 64, WINDOW, true, 1),
                n -> 12.0 * bh * 2 * n * 2 * w * d, Long.MAX_VALUE));
        return p;
    }

    @Test
    void benchmark() throws InterruptedException {
        main(new String[0]);
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length == 2) {                       // child: one measurement, printed as "RESULT name n s bytes"
            one(args[0], Long.parseLong(args[1]));
            return;
        }
        long[] lengths = Arrays.stream(System.getProperty("bench.lengths", "1024,4096,8192,16384,65536").split(","))
                .mapToLong(Long::parseLong).toArray();
        String only = System.getProperty("bench.patterns", "");
        Nd4j.setDefaultDataTypes(T, T);
        double maxSeconds = Double.parseDouble(System.getProperty("bench.maxSeconds", "150"));
        java.util.Map<String, double[]> previous = new java.util.HashMap<>();
        java.util.Map<String, java.util.SortedMap<Long, Double>> seconds = new java.util.HashMap<>();
        System.out.printf("ND4J SGEMM (2048^3, preallocated output), measured in each row's process after the pattern;"
                + " threads %d%n", Nd4j.getEnvironment().maxThreads());
        System.out.printf("%-18s %7s %10s %10s %9s %9s %8s%n", "pattern", "n", "fwd+bwd s", "peak MB", "GFLOP/s",
                "SGEMM", "%SGEMM");
        for (long n : lengths) {
            if (only.isEmpty() || only.contains("dl4j-dense")) {
                if ((double) HEADS * n * n * 4 <= 1.5e9) {
                    row("dl4j-dense", n, fork("dl4j-dense", n), 12.0 * HEADS * n * n * HEAD_DIM);
                } else {
                    System.out.printf("%-18s %7d %10s%n", "dl4j-dense", n, "skipped: [4, n, n] scores do not fit");
                }
            }
            for (Pattern p : patterns()) {
                if ((only.isEmpty() || only.contains(p.name())) && n <= p.maxLen()) {
                    double[] last = previous.get(p.name());
                    if (last != null && last[0] * n / last[1] > maxSeconds) {
                        System.out.printf("%-18s %7d %10s%n", p.name(), n,
                                String.format("skipped: projected %.0f s", last[0] * n / last[1]));
                        continue;
                    }
                    double[] r = fork(p.name(), n);
                    row(p.name(), n, r, p.flops().applyAsDouble(n));
                    if (r != null) {
                        previous.put(p.name(), new double[] {r[0], n});
                        seconds.computeIfAbsent(p.name(), x -> new java.util.TreeMap<>()).put(n, r[0]);
                    }
                }
            }
        }
        if (!"false".equals(System.getProperty("bench.torch"))) {
            for (String name : List.of("sliding-causal", "sliding-bidir")) {
                if (seconds.containsKey(name)) {
                    torchPeer(name, seconds.get(name));
                }
            }
        }
    }

    /**
     * The PyTorch peer of a sliding-window row ({@code blocked_sliding_window_torch.py} beside this class: the same
     * blocked computation with autograd, 2 threads), run in the same sitting at the lengths Java ran, with both wait
     * policies ({@link TorchPeer#run}); the ratio is taken against the peer's better time
     * ({@code -Dbench.torch=false} skips it).
     */
    private static void torchPeer(String name, java.util.SortedMap<Long, Double> javaSeconds)
            throws InterruptedException {
        File script = new File("src/test/java/dev/sparseattn/trainer/model/attention/blocked_sliding_window_torch.py");
        List<String> args = new ArrayList<>(List.of("--threads", System.getProperty("bench.threads", "2"),
                "--lengths", javaSeconds.keySet().stream().map(String::valueOf).collect(Collectors.joining(","))));
        if (name.endsWith("causal")) {
            args.add("--causal");
        }
        java.util.Map<Long, Double> best = new java.util.TreeMap<>();
        for (boolean passive : new boolean[] {false, true}) {
            for (String line : TorchPeer.run(script, args, passive)) {
                Matcher m = TORCH_ROW.matcher(line);
                if (m.find()) {
                    best.merge(Long.parseLong(m.group(1)), Double.parseDouble(m.group(2)), Math::min);
                }
            }
        }
        for (var e : javaSeconds.entrySet()) {
            Double torch = best.get(e.getKey());
            if (torch != null) {
                System.out.printf("%-18s %7d java %.3f s, PyTorch best %.3f s: PyTorch's time / Java's = %.2fx%n",
                        name, e.getKey(), e.getValue(), torch, torch / e.getValue());
            }
        }
    }

    /** Runs {@link #one} in a fresh JVM; {seconds, bytes} or null. */
    private static double[] fork(String name, long n) {
        List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + "/bin/java");
        cmd.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> !a.startsWith("-agentlib") && !a.startsWith("-javaagent")).toList());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(AttentionBenchmark.class.getName());
        cmd.add(name);
        cmd.add(Long.toString(n));
        try {
            Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            double[] result = null;
            try (java.io.BufferedReader r = new java.io.BufferedReader(
                    new java.io.InputStreamReader(proc.getInputStream()))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.startsWith("RESULT ")) {
                        String[] f = line.split(" ");
                        result = new double[] {Double.parseDouble(f[3]), Double.parseDouble(f[4]),
                            Double.parseDouble(f[5])};
                    } else if (line.startsWith("  failed")) {
                        System.out.printf("%-18s %7d %s%n", name, n, line.trim());
                    }
                }
            }
            proc.waitFor();
            return result;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** One measurement in this JVM. */
    static void one(String name, long n) {
        Nd4j.setDefaultDataTypes(T, T);
        int reps = Integer.getInteger("bench.reps", 2);
        double[] r;
        if (name.equals("dl4j-dense")) {
            r = measure(() -> dl4jDense(n), reps);
        } else {
            Pattern p = patterns().stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow();
            r = measure(() -> sparse(p.kernel(), n), reps);
        }
        if (r != null) {
            // the machine's speed drifts (a shared virtual machine): SGEMM is measured in this process right after
            double sgemm = Sgemm.gflops();
            System.out.println("RESULT " + name + " " + n + " " + r[0] + " " + r[1] + " " + sgemm);
        }
    }

    /** One table row; the SGEMM rate is the one measured in the row's own process. */
    private static void row(String name, long n, double[] r, double flops) {
        if (r == null) {
            return;
        }
        double gf = flops / r[0] / 1e9;
        System.out.printf("%-18s %7d %10.3f %10.0f %9.1f %9.1f %7.0f%%%n", name, n, r[0], r[1] / 1e6, gf, r[2],
                100 * gf / r[2]);
    }

    /** A runnable that sets up and returns the timed step. */
    interface Setup {
        Runnable create();
    }

    /** {best seconds, peak bytes above the baseline}, or null on failure (printed). */
    private static double[] measure(Setup setup, int reps) {
        System.gc();
        try (PeakMemory memory = PeakMemory.start()) {
            Runnable step = setup.create();
            step.run();                                   // warm-up: allocation of reusable buffers, JIT
            double best = Double.MAX_VALUE;
            for (int i = 0; i < reps; i++) {
                long start = System.nanoTime();
                step.run();
                best = Math.min(best, (System.nanoTime() - start) / 1e9);
            }
            return new double[] {best, memory.stopAndGet()};
        } catch (Throwable e) {
            System.out.println("  failed: " + e);
            return null;
        } finally {
            System.gc();
        }
    }

    /** Our kernel on strided head views of fused [n, 3 * 256] projections, as in the transformer block. */
    private static Runnable sparse(Supplier<Attention> factory, long n) {
        Attention a = factory.get();
        INDArray qkv = Nd4j.randn(T, n, 3L * HEADS * HEAD_DIM);
        INDArray ctx = Nd4j.create(T, n, (long) HEADS * HEAD_DIM);
        INDArray dCtx = Nd4j.randn(T, n, (long) HEADS * HEAD_DIM);
        INDArray dQkv = Nd4j.create(T, n, 3L * HEADS * HEAD_DIM);
        INDArray[] p = AttentionCheck.heads(qkv, 3, 1, HEADS, (int) n, HEAD_DIM);
        INDArray[] g = AttentionCheck.heads(dQkv, 3, 1, HEADS, (int) n, HEAD_DIM);
        INDArray out = AttentionCheck.heads(ctx, 1, 1, HEADS, (int) n, HEAD_DIM)[0];
        INDArray dOut = AttentionCheck.heads(dCtx, 1, 1, HEADS, (int) n, HEAD_DIM)[0];
        return () -> {
            a.forward(p[0], p[1], p[2], out, Alloc.current(T));
            a.backward(dOut, g[0], g[1], g[2]);
            a.clear();
        };
    }

    /** DL4J's dense attention ops (bidirectional; their mask is a key mask only), layout [batch, heads, d, n]. */
    private static Runnable dl4jDense(long n) {
        INDArray q = Nd4j.randn(T, 1, HEADS, HEAD_DIM, n);
        INDArray k = Nd4j.randn(T, 1, HEADS, HEAD_DIM, n);
        INDArray v = Nd4j.randn(T, 1, HEADS, HEAD_DIM, n);
        INDArray eps = Nd4j.randn(T, 1, HEADS, HEAD_DIM, n);
        return () -> {
            Nd4j.exec(new DotProductAttention(q, k, v, null, true, false));
            Nd4j.exec(DynamicCustomOp.builder("dot_product_attention_bp").addInputs(q, k, v, eps)
                    .addIntegerArguments(1).build());
        };
    }
}
