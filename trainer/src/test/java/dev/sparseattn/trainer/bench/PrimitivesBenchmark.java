package dev.sparseattn.trainer.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.trainer.model.ops.LayerNorm;
import java.io.File;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.executioner.OpExecutioner;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Exp;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.profiler.OpProfiler;

/**
 * The element-wise primitives behind the step profile's gap to PyTorch ({@link StepProfileBenchmark}: the attention
 * kernel 1.5-2.4x, LayerNorm 6.7-7.9x), each timed alone in ND4J and in PyTorch ({@code primitives_torch.py} beside this
 * file) on the same shapes and threads, in nanoseconds per element, with the same JVM's SGEMM as the baseline:
 * <ul>
 *   <li>{@code exp}: element-wise exponential of {@code [8, 8, 64, 512]} scores into a second array (libnd4j's
 *       transform against PyTorch's vectorised one);</li>
 *   <li>{@code softmax}: over the last axis of the same scores, in place (the dense kernel's last causal block at the
 *       text shape: batch 8, 8 heads, 64 queries, 512 keys);</li>
 *   <li>{@code scale}: multiplication by a scalar (0.999) in place, a pass bound by memory alone (the floor of both);</li>
 *   <li>{@code layer_norm}: forward + backward over {@code [4096, 128]} (the quickstart's rows), the project's
 *       {@link LayerNorm} (in a workspace, as in the model) against {@code torch.nn.functional.layer_norm} with
 *       autograd.</li>
 * </ul>
 * Then the fixed cost of one operation (a scalar multiply of a one-element array, in place, 1,000 times) in both, and
 * how many ND4J operations one training step of the quickstart shape runs (ND4J's {@code OpProfiler}).
 * Not a unit test: {@code mvn -B -pl trainer -am test -Pslow -Dtest=PrimitivesBenchmark
 * -Dsurefire.failIfNoSpecifiedTests=false}; the threads are {@code OMP_NUM_THREADS} (2 when unset) for both.
 */
@Tag("slow")
class PrimitivesBenchmark {

    private static final long[] SCORES = {8, 8, 64, 512};
    private static final int ROWS = 4096;
    private static final int D = 128;

    @Test
    void primitives() throws InterruptedException {
        String threads = System.getenv().getOrDefault("OMP_NUM_THREADS", "2");
        System.out.printf("threads %s, %s; SGEMM 2048^3 %.1f GFLOP/s%n", threads, Load.uptime(), Sgemm.gflops());
        Nd4j.getRandom().setSeed(1);
        INDArray s = Nd4j.rand(DataType.FLOAT, SCORES).subi(0.5).muli(8);
        INDArray e = s.ulike();
        INDArray work = s.dup();
        long scores = s.length();
        Map<String, Double> java = new LinkedHashMap<>();
        java.put("exp", medianMs(() -> Nd4j.exec(new Exp(s, e))) * 1e6 / scores);
        java.put("softmax", medianMs(() -> Nd4j.exec(new SoftMax(work, work, 3))) * 1e6 / scores);
        java.put("scale", medianMs(() -> work.muli(0.999)) * 1e6 / scores);

        INDArray x = Nd4j.randn(DataType.FLOAT, ROWS, D);
        INDArray gain = Nd4j.rand(DataType.FLOAT, D).addi(0.5);
        INDArray bias = Nd4j.rand(DataType.FLOAT, D);
        INDArray y = x.ulike();
        INDArray xhat = x.ulike();
        INDArray rstd = Nd4j.create(DataType.FLOAT, ROWS, 1);
        INDArray dy = Nd4j.randn(DataType.FLOAT, ROWS, D);
        INDArray dx = x.ulike();
        INDArray dgain = gain.ulike();
        INDArray dbias = bias.ulike();
        // in a workspace, as in the model's layers: its temporaries reuse memory instead of touching fresh pages
        WorkspaceConfiguration ws = WorkspaceConfiguration.builder().initialSize(64L << 20)
                .policyAllocation(AllocationPolicy.STRICT).policyLearning(LearningPolicy.NONE).build();
        java.put("layer_norm", medianMs(() -> {
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().getAndActivateWorkspace(ws, "PRIMITIVES")) {
                LayerNorm.forward(x, gain, bias, y, xhat, rstd);
                LayerNorm.backward(dy, xhat, rstd, gain, dx, dgain, dbias);
            }
        }) * 1e6 / x.length());
        assertTrue(java.values().stream().allMatch(v -> v > 0 && Double.isFinite(v)), java.toString());
        INDArray one = Nd4j.rand(DataType.FLOAT, 1);
        double fixedUs = medianMs(() -> {
            for (int i = 0; i < 1000; i++) {
                one.muli(0.999);
            }
        });                                                                  // ms per 1,000 = us per operation
        int operations = operationsPerStep(BenchShapes.of("quickstart"));

        Map<String, Double> torch = new LinkedHashMap<>();
        File script = new File("src/test/java/dev/sparseattn/trainer/bench/primitives_torch.py");
        for (String line : TorchPeer.run(script, List.of("--threads", threads), true)) {
            String[] f = line.trim().split(" ");
            if (f.length == 3 && (f[0].equals("primitive") || f[0].equals("fixed"))) {
                torch.put(f[1], Double.parseDouble(f[2]));
            }
        }
        Double torchFixed = torch.remove("op_us");
        System.out.printf("%nfixed cost of an operation (a scalar multiply of a one-element array, in place): ND4J %.1f us,"
                + " PyTorch %s us; ND4J operations in one quickstart training step (OpProfiler): %d%n", fixedUs,
                torchFixed == null ? "-" : String.format("%.1f", torchFixed), operations);
        System.out.printf("%nns per element (median of %d after %d s of warm-up), %s threads:%n", REPS,
                WARM_UP_NANOS / 1_000_000_000L, threads);
        System.out.println("| primitive | ND4J | PyTorch | ND4J / PyTorch |");
        for (Map.Entry<String, Double> p : java.entrySet()) {
            Double peer = torch.get(p.getKey());
            System.out.printf("| %s | %.3f | %s | %s |%n", p.getKey(), p.getValue(),
                    peer == null ? "-" : String.format("%.3f", peer),
                    peer == null ? "-" : String.format("%.2fx", p.getValue() / peer));
        }
    }

    private static final int REPS = 21;
    private static final long WARM_UP_NANOS = 4_000_000_000L;

    /** ND4J operations (every op executed, products included) in one training step of {@code shape}, after warm-up. */
    private static int operationsPerStep(BenchShapes shape) {
        MultiLayerNetwork net = shape.network();
        DataSet data = shape.batch(new Random(1));
        net.fit(data);
        OpExecutioner ex = Nd4j.getExecutioner();
        OpProfiler.getInstance().reset();
        ex.setProfilingMode(OpExecutioner.ProfilingMode.OPERATIONS);
        try {
            net.fit(data);
        } finally {
            ex.setProfilingMode(OpExecutioner.ProfilingMode.DISABLED);
        }
        return (int) OpProfiler.getInstance().getInvocationsCount();
    }

    /**
     * Median of {@link #REPS} runs after {@link #WARM_UP_NANOS} of warm-up: ND4J's Java side (op objects, shape
     * descriptors) is compiled by the JIT over seconds, and LayerNorm took 19 ms cold and 3.9 ms warm.
     */
    private static double medianMs(Runnable r) {
        long warm = System.nanoTime();
        for (int i = 0; i < 3 || System.nanoTime() - warm < WARM_UP_NANOS; i++) {
            r.run();
        }
        double[] t = new double[REPS];
        for (int i = 0; i < REPS; i++) {
            long start = System.nanoTime();
            r.run();
            t[i] = (System.nanoTime() - start) / 1e6;
        }
        java.util.Arrays.sort(t);
        return t[REPS / 2];
    }
}
