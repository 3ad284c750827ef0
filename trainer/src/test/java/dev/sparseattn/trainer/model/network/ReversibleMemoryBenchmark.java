package dev.sparseattn.trainer.model.network;

import dev.sparseattn.trainer.model.PeakMemory;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.attention.AttentionSpec;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

/**
 * Training-step time and peak memory of the fused LM, reversible versus standard residual blocks (same code, same
 * embeddings and head), for several depths and lengths: causal sliding-window attention (window 256), d 256, 4
 * heads, ffnHidden 1024, vocabulary 258, batch 1, float32, Adam, ffnChunk and lossChunk 1024 for both. Not a unit
 * test:
 * <pre>
 * mvn -pl trainer test -Pslow -Dtest=ReversibleMemoryBenchmark [-Dbench.depths=1,2,4,8,12]
 *     [-Dbench.lengths=4096,16384] [-Dbench.longDepths=1,4,12] [-Dbench.reps=3] [-Dbench.maxGB=9]
 * </pre>
 * ({@code bench.longDepths}: the depths run at lengths above 4,096; a standard-residual configuration whose projected
 * peak, depth times its 1-layer peak, exceeds {@code bench.maxGB} is skipped, as the machine has 24 GB shared with other jobs.) Each configuration runs in a fresh JVM (same
 * class path and flags). Peak memory is the largest resident size of that process ({@code Pointer.physicalBytes()}:
 * ND4J's off-heap buffers plus the heap, as {@code AttentionBenchmark} measures it) sampled every millisecond over
 * the warm-up and timed steps, minus the value after the network was initialised (parameters and gradient views
 * are in the baseline; Adam's state, created by the first step, is in the peak and is printed beside it). Step time:
 * median of the timed {@code fit()} calls (forward, backward, Adam update) after one warm-up step.
 */
@Tag("slow")
class ReversibleMemoryBenchmark {

    static final int D = 256;
    static final int HEADS = 4;
    static final int WINDOW = 256;
    static final int VOCAB = 258;
    static final int CHUNK = 1024;

    @Test
    void benchmark() {
        main(new String[0]);
    }

    public static void main(String[] args) {
        if (args.length == 3) {                              // child: "RESULT seconds peakBytes stateBytes"
            one(TransformerConfig.Residual.valueOf(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2]));
            return;
        }
        int[] depths = ints(System.getProperty("bench.depths", "1,2,4,8,12"));
        int[] longDepths = ints(System.getProperty("bench.longDepths", "1,4,12"));
        int[] lengths = ints(System.getProperty("bench.lengths", "4096,16384"));
        System.out.printf("reversible vs standard fused LM: sliding window %d, d %d, %d heads, ffn %d, vocab %d, "
                        + "batch 1, float32, Adam, ffnChunk = lossChunk = %d; load average at start %s%n", WINDOW, D,
                HEADS, 4 * D, VOCAB, CHUNK, load());
        Map<String, double[]> results = new LinkedHashMap<>();
        double maxBytes = Double.parseDouble(System.getProperty("bench.maxGB", "9")) * 1e9;
        for (int n : lengths) {
            for (int depth : n > 4096 ? longDepths : depths) {
                for (TransformerConfig.Residual r : TransformerConfig.Residual.values()) {
                    double[] one = results.get(r + " 1 " + n);
                    double projected = one == null || r == TransformerConfig.Residual.REVERSIBLE ? 0 : one[1] * depth;
                    if (projected > maxBytes) {
                        System.out.printf("  %-10s depth %2d n %6d: skipped, projected peak %.1f GB (depth x the "
                                + "1-layer peak) exceeds bench.maxGB %.0f%n", r, depth, n, projected / 1e9,
                                maxBytes / 1e9);
                        continue;
                    }
                    double[] res = fork(r, depth, n);
                    results.put(r + " " + depth + " " + n, res);
                    System.out.printf("  %-10s depth %2d n %6d: %s (load %s)%n", r, depth, n,
                            res == null ? "failed" : String.format("%.2f s, peak %.0f MB, model state %.0f MB",
                                    res[0], res[1] / 1e6, res[2] / 1e6), load());
                }
            }
        }
        System.out.println();
        System.out.printf("%6s %5s | %9s %9s %8s | %9s %9s %8s | %8s %8s%n", "n", "depth", "rev s", "rev MB",
                "rev/rev1", "std s", "std MB", "std/std1", "time r/s", "mem r/s");
        for (int n : lengths) {
            double[] rev1 = results.get("REVERSIBLE 1 " + n);
            double[] std1 = results.get("STANDARD 1 " + n);
            for (int depth : n > 4096 ? longDepths : depths) {
                double[] rev = results.get("REVERSIBLE " + depth + " " + n);
                double[] std = results.get("STANDARD " + depth + " " + n);
                System.out.printf("%6d %5d | %9s %9s %8s | %9s %9s %8s | %8s %8s%n", n, depth, f(rev, 0, 1, "%.2f"),
                        f(rev, 1, 1e6, "%.0f"), ratio(rev, rev1, 1), f(std, 0, 1, "%.2f"), f(std, 1, 1e6, "%.0f"),
                        ratio(std, std1, 1), ratio(rev, std, 0), ratio(rev, std, 1));
            }
        }
        System.out.println("load average at end: " + load());
    }

    private static int[] ints(String csv) {
        return Arrays.stream(csv.split(",")).mapToInt(Integer::parseInt).toArray();
    }

    private static String f(double[] r, int i, double div, String fmt) {
        return r == null ? "-" : String.format(fmt, r[i] / div);
    }

    private static String ratio(double[] a, double[] b, int i) {
        return a == null || b == null ? "-" : String.format("%.2f", a[i] / b[i]);
    }

    static String load() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "?";
        }
    }

    static TransformerConfig config(TransformerConfig.Residual residual, int depth, int n) {
        return new TransformerConfig(VOCAB, n, D, HEADS, depth, 4 * D, 1)
                .withAttention(AttentionSpec.slidingWindow(WINDOW, true))
                .withResidual(residual)
                .withFfnChunk(CHUNK)
                .withLossChunk(CHUNK);
    }

    /** Runs {@link #one} in a fresh JVM; {seconds, peak bytes, model state bytes} or null. */
    private static double[] fork(TransformerConfig.Residual residual, int depth, int n) {
        List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + "/bin/java");
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> !a.startsWith("-agentlib") && !a.startsWith("-javaagent")).toList());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(ReversibleMemoryBenchmark.class.getName());
        cmd.add(residual.name());
        cmd.add(Integer.toString(depth));
        cmd.add(Integer.toString(n));
        try {
            Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            double[] result = null;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(proc.getInputStream()))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.startsWith("RESULT ")) {
                        String[] f = line.split(" ");
                        result = new double[] {Double.parseDouble(f[1]), Double.parseDouble(f[2]),
                                Double.parseDouble(f[3])};
                    } else if (line.startsWith("FAILED") || line.contains("Exception")) {
                        System.out.println("    " + line);
                    }
                }
            }
            proc.waitFor();
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** One configuration in this JVM. */
    static void one(TransformerConfig.Residual residual, int depth, int n) {
        Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        int reps = Integer.getInteger("bench.reps", n > 4096 ? 2 : 3);
        TransformerConfig config = config(residual, depth, n);
        Random random = new Random(1);
        int[][] rows = new int[1][n + 1];
        for (int t = 0; t <= n; t++) {
            rows[0][t] = random.nextInt(VOCAB);
        }
        MultiLayerNetwork net = TransformerLM.build(config, new Adam(1e-4));
        DataSet data = TransformerLM.toDataSet(config, rows, -1);
        long stateBytes = net.numParams() * 4L * 4;               // parameters, gradients, Adam m and v
        System.gc();
        try (PeakMemory memory = PeakMemory.start()) {
            net.fit(data);                                        // warm-up: workspaces learn their sizes, JIT
            double[] s = new double[reps];
            for (int i = 0; i < reps; i++) {
                long start = System.nanoTime();
                net.fit(data);
                s[i] = (System.nanoTime() - start) / 1e9;
            }
            long peak = memory.stopAndGet();
            Arrays.sort(s);
            double median = reps % 2 == 1 ? s[reps / 2] : (s[reps / 2 - 1] + s[reps / 2]) / 2;
            if (!Double.isFinite(net.score())) {
                throw new IllegalStateException("non-finite loss " + net.score());
            }
            System.out.println("RESULT " + median + " " + peak + " " + stateBytes);
        } catch (Throwable e) {
            System.out.println("FAILED " + e);
        }
    }
}
