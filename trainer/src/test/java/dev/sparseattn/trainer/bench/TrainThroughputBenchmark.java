package dev.sparseattn.trainer.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.attention.AttentionSpec;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import dev.sparseattn.trainer.train.OptimConfig;
import dev.sparseattn.trainer.train.OptimizerStep;
import java.io.File;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Training tokens/s (forward, backward, clipping, Adam, through {@link OptimizerStep} as {@code Train} runs it, minibatch
 * conversion included) of the recipes' shapes against the PyTorch peer {@code train_torch.py} beside this file (same
 * model, float32, same thread count), run right after each Java row in the same sitting, and the model FLOP
 * utilisation against ND4J's SGEMM measured in this JVM after each row. Not a unit test:
 * <pre>
 * mvn -B -pl trainer -am test -Pslow -Dtest=TrainThroughputBenchmark -Dsurefire.failIfNoSpecifiedTests=false
 *     [-Dbench.shapes=quickstart,text,genomics -Dbench.steps=6 -Dbench.python=/usr/bin/python3 -Dbench.threads=2]
 * </pre>
 * Model FLOPs per token: 3x the forward's matrix products (2 flops per multiply-add): per layer {@code 8 d^2}
 * (QKV and output projections) {@code + 4 d f} (feed-forward) {@code + 4 keys d} (scores and weighted values over the
 * keys each query is computed against: L for the dense kernel, 2 x window for the blocked sliding window,
 * 2 x hashes x chunk for LSH), plus {@code 2 d V} for the output projection; the reversible model's recomputation is
 * not counted (work done, not model FLOPs).
 */
@Tag("slow")
class TrainThroughputBenchmark {

    private static final Pattern TORCH = Pattern.compile("tokens_per_s ([0-9.]+)");

    @Test
    void throughput() throws Exception {
        int steps = Integer.getInteger("bench.steps", 6);
        System.out.printf("%s; ND4J threads (OMP_NUM_THREADS) %s, OMP_WAIT_POLICY %s%n", Load.uptime(),
                System.getenv("OMP_NUM_THREADS"), System.getenv("OMP_WAIT_POLICY"));
        StringBuilder table = new StringBuilder(
                "| shape | tokens/step | Java s/step | Java tokens/s | PyTorch tokens/s (libgomp default) "
                        + "| PyTorch tokens/s (PASSIVE) | ratio to PyTorch's best | model GFLOP/s | SGEMM GFLOP/s "
                        + "| MFU | load |\n"
                        + "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
        for (String name : System.getProperty("bench.shapes", "quickstart,text,genomics").split(",")) {
            BenchShapes shape = BenchShapes.of(name.trim());
            double seconds = javaStep(shape, steps);
            double tokensPerS = shape.tokensPerStep() / seconds;
            double sgemm = Sgemm.gflops();
            double torchDefault = torchTokensPerS(shape.name(), steps, false);
            double torchPassive = torchTokensPerS(shape.name(), steps, true);
            double torch = Math.max(torchDefault, torchPassive);
            double gflops = flopsPerToken(shape.arch()) * tokensPerS / 1e9;
            String row = String.format(
                    "| %s | %,d | %.3f | %,.0f | %,.0f | %,.0f | %.2fx | %.1f | %.1f | %.1f%% | %s |",
                    shape.name(), shape.tokensPerStep(), seconds, tokensPerS, torchDefault, torchPassive,
                    tokensPerS / torch, gflops, sgemm,
                    100 * gflops / sgemm, Load.uptime().replace("load average ", "").split(" ")[0]);
            System.out.println(row);
            table.append(row).append('\n');
        }
        System.out.println();
        System.out.print(table);
        assertTrue(table.length() > 0);
    }

    /** Median seconds of a training step (after 2 warm-up steps). */
    private static double javaStep(BenchShapes shape, int steps) {
        MultiLayerNetwork net = shape.network();
        OptimizerStep optimizer = new OptimizerStep(net, new OptimConfig(1e-3, 0, 1.0, 0.9, 0.999, shape.clip()));
        Random random = new Random(1);
        double[] s = new double[steps];
        for (int i = -2; i < steps; i++) {
            long start = System.nanoTime();
            int[][] rows = shape.rows(random);
            optimizer.step(List.of(TransformerLM.toDataSet(shape.arch(), rows, null, 0, DataType.FLOAT)));
            if (i >= 0) {
                s[i] = (System.nanoTime() - start) / 1e9;
            }
        }
        Arrays.sort(s);
        return s[steps / 2];
    }

    /** Forward matrix-product FLOPs per token times 3 (forward + backward). */
    static double flopsPerToken(TransformerConfig c) {
        double d = c.dModel();
        double perLayer = 0;
        for (int i = 0; i < c.nLayers(); i++) {
            AttentionSpec a = c.attentionFor(i);
            double keys = switch (a.kind()) {
                case SLIDING_WINDOW -> 2.0 * a.window();
                case LSH -> 2.0 * a.nHashes() * a.chunk();
                default -> c.seqLen();
            };
            perLayer += 8 * d * d + 4 * d * c.ffnHidden() + 4 * keys * d;
        }
        return 3 * (perLayer + 2 * d * c.vocabSize());
    }

    /**
     * The PyTorch peer's tokens/s with libgomp's default or the passive wait policy ({@link TorchPeer#run}); the
     * table shows the peer both ways and the ratio is taken against its best.
     */
    private static double torchTokensPerS(String shape, int steps, boolean passive)
            throws InterruptedException {
        File script = new File("src/test/java/dev/sparseattn/trainer/bench/train_torch.py");
        double rate = Double.NaN;
        for (String line : TorchPeer.run(script, List.of("--shape", shape, "--steps", String.valueOf(steps),
                "--threads", System.getProperty("bench.threads", "2")), passive)) {
            Matcher m = TORCH.matcher(line);
            if (m.find()) {
                rate = Double.parseDouble(m.group(1));
            }
        }
        return rate;
    }
}
