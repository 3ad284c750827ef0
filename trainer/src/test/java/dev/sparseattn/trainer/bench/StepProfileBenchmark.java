package dev.sparseattn.trainer.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.trainer.model.ops.StepTimer;
import dev.sparseattn.trainer.model.ops.StepTimer.Section;
import java.io.File;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Profile of one training step (float32, forward + backward + clipping + Adam) of the recipes' shapes, by section
 * ({@link StepTimer}: exclusive wall time per named block), with JVM garbage-collection time from the GC beans. Not a
 * unit test: {@code mvn -B -pl trainer -am test -Pslow -Dtest=StepProfileBenchmark -Dsurefire.failIfNoSpecifiedTests=false
 * "-Dtest.jvm.flags=-Xmx3g -Dsparseattn.profile=true" [-Dbench.shapes=quickstart,genomics -Dbench.steps=5]}.
 * The step is the one {@code OptimizerStep} takes for accumulated micro-batches (computeGradientAndScore, the
 * updater, the parameter update), split so that the framework and the optimiser can be timed apart; a plain
 * {@code fit} step is timed beside it. For the dense shapes the PyTorch peer's sections follow, timed in the same
 * sitting ({@code step_sections_torch.py}; {@code -Dbench.torch=false} skips it).
 */
@Tag("slow")
class StepProfileBenchmark {

    @Test
    void profile() {
        assertTrue(StepTimer.ON, "run with -Dsparseattn.profile=true (in test.jvm.flags)");
        System.out.printf("threads %s, OMP_WAIT_POLICY %s, %s%n", System.getenv("OMP_NUM_THREADS"),
                System.getenv("OMP_WAIT_POLICY"), Load.uptime());
        for (String name : System.getProperty("bench.shapes", "quickstart,genomics").split(",")) {
            profile(BenchShapes.of(name.trim()), Integer.getInteger("bench.steps", 5));
        }
    }

    private void profile(BenchShapes shape, int steps) {
        MultiLayerNetwork net = shape.network();
        Random random = new Random(1);
        DataSet data = shape.batch(random);
        for (int i = 0; i < 2; i++) {
            step(net, shape, random);                       // warm-up: JIT, workspace sizing
        }
        net.fit(data);
        long fitStart = System.nanoTime();
        for (int i = 0; i < steps; i++) {
            net.fit(data);
        }
        double fitSeconds = (System.nanoTime() - fitStart) / 1e9 / steps;
        StepTimer.drain();
        long gc0 = gcMillis();
        long start = System.nanoTime();
        for (int i = 0; i < steps; i++) {
            step(net, shape, random);
        }
        double stepSeconds = (System.nanoTime() - start) / 1e9 / steps;
        double gcSeconds = (gcMillis() - gc0) / 1e3 / steps;
        Map<Section, Double> parts = StepTimer.drain();
        double covered = parts.values().stream().mapToDouble(Double::doubleValue).sum() / steps;
        System.out.printf("%n%s: %s, batch %d; step %.3f s (plain fit %.3f s), %,.0f tokens/s%n", shape.name(),
                shape.arch(), shape.batch(), stepSeconds, fitSeconds, shape.tokensPerStep() / stepSeconds);
        System.out.println("| section | ms/step | share |");
        for (Map.Entry<Section, Double> e : parts.entrySet()) {
            double ms = e.getValue() / steps * 1e3;
            System.out.printf("| %s | %.1f | %.1f%% |%n", e.getKey().name().toLowerCase(), ms, ms / 10 / stepSeconds);
        }
        System.out.printf("| untimed (loop) | %.1f | %.1f%% |%n", (stepSeconds - covered) * 1e3,
                (stepSeconds - covered) / stepSeconds * 100);
        System.out.printf("| (of which JVM GC pauses) | %.1f | %.1f%% |%n", gcSeconds * 1e3, gcSeconds / stepSeconds * 100);
        if (!shape.name().startsWith("genomics") && !"false".equals(System.getProperty("bench.torch"))) {
            comparePeer(shape.name(), parts, steps, stepSeconds);
        }
    }

    /**
     * The same sections of the PyTorch peer ({@code step_sections_torch.py} beside this file: each section of
     * {@code train_torch.py}'s model timed on its own, times the number of its uses per step), next to this profile's.
     * Dense shapes only; {@code -Dbench.torch=false} skips it.
     */
    private static void comparePeer(String shape, Map<Section, Double> parts, int steps, double stepSeconds) {
        File script = new File("src/test/java/dev/sparseattn/trainer/bench/step_sections_torch.py");
        Map<String, Double> torch = new LinkedHashMap<>();
        try {
            for (String line : TorchPeer.run(script, List.of("--shape", shape, "--threads",
                    System.getProperty("bench.threads", "2")), true)) {
                String[] f = line.trim().split(" ");
                boolean section = f.length == 3 && f[0].equals("section");
                if (section || f.length == 2 && (f[0].equals("sum") || f[0].equals("step"))) {
                    torch.put(f[f.length - 2], Double.parseDouble(f[f.length - 1]));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (torch.isEmpty()) {
            return;
        }
        System.out.printf("%n%s against the PyTorch peer (OMP_WAIT_POLICY=PASSIVE), ms per step:%n", shape);
        System.out.println("| section | Java | PyTorch | Java / PyTorch |");
        double javaSum = 0;
        for (Map.Entry<Section, Double> e : parts.entrySet()) {
            String name = e.getKey().name().toLowerCase();
            double ms = e.getValue() / steps * 1e3;
            Double peer = torch.get(name);
            if (peer != null) {
                javaSum += ms;
                System.out.printf("| %s | %.1f | %.1f | %.2fx |%n", name, ms, peer, ms / peer);
            } else {
                System.out.printf("| %s | %.1f | - | - |%n", name, ms);
            }
        }
        System.out.printf("| sections with a peer | %.1f | %.1f | %.2fx |%n", javaSum, torch.get("sum"),
                javaSum / torch.get("sum"));
        System.out.printf("| whole step | %.1f | %.1f | %.2fx |%n", stepSeconds * 1e3, torch.get("step"),
                stepSeconds * 1e3 / torch.get("step"));
    }

    @SuppressWarnings("try")
    private static void step(MultiLayerNetwork net, BenchShapes shape, Random random) {
        DataSet b;
        try (StepTimer.Span ignored = StepTimer.open(Section.DATA)) {
            b = shape.batch(random);
        }
        try (StepTimer.Span ignored = StepTimer.open(Section.FRAMEWORK)) {
            net.setInput(b.getFeatures());
            net.setLabels(b.getLabels());
            net.setLayerMaskArrays(b.getFeaturesMaskArray(), b.getLabelsMaskArray());
            net.computeGradientAndScore();
        }
        try (StepTimer.Span ignored = StepTimer.open(Section.OPTIMIZER)) {
            INDArray gradient = net.getFlattenedGradients();
            int iteration = net.getIterationCount();
            net.getUpdater().update(net, net.gradient(), iteration, net.getEpochCount(), (int) b.getFeatures().size(0),
                    LayerWorkspaceMgr.noWorkspaces());
            net.params().subi(gradient.reshape(net.params().shape()));
            net.setIterationCount(iteration + 1);
            net.clearLayerMaskArrays();
        }
        Nd4j.getExecutioner().commit();
    }

    private static long gcMillis() {
        long total = 0;
        for (GarbageCollectorMXBean bean : ManagementFactory.getGarbageCollectorMXBeans()) {
            total += Math.max(0, bean.getCollectionTime());
        }
        return total;
    }
}
