package dev.sparseattn.trainer.model.ops;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.trainer.bench.Load;
import dev.sparseattn.trainer.bench.Sgemm;
import dev.sparseattn.trainer.bench.TorchPeer;
import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The last-axis softmax over attention-sized float scores, in place, in one JVM: libnd4j's {@code SoftMax} against
 * {@link VectorSoftmax} (the path {@link Softmax} takes), then the PyTorch peer {@code softmax_torch.py} beside this
 * file ({@code torch.softmax} into a preallocated output, same thread count), and ND4J's SGEMM as the machine's
 * yardstick. Shapes: the quickstart's dense scores {@code [16, 4, 256, 256]} and the causal sliding window's at 4,096
 * tokens ({@code [4, 16, 256, 512]}: batch x heads, query blocks, 256 queries, 2 blocks of keys). Not a unit test:
 * <pre>
 * mvn -B -pl trainer -am test -Pslow -Dtest=SoftmaxBenchmark -Dsurefire.failIfNoSpecifiedTests=false
 *     [-Dbench.shapes=16x4x256x256,4x16x256x512 -Dbench.reps=10 -Dbench.threads=2]
 * </pre>
 */
@Tag("slow")
class SoftmaxBenchmark {

    @Test
    void softmax() throws Exception {
        String shapes = System.getProperty("bench.shapes", "16x4x256x256,4x16x256x512");
        int reps = Integer.getInteger("bench.reps", 10);
        int threads = Integer.getInteger("bench.threads", Nd4j.getEnvironment().maxMasterThreads());
        System.out.printf("%s; ND4J threads %d; Vector API species %s%n", Load.uptime(),
                Nd4j.getEnvironment().maxMasterThreads(), jdk.incubator.vector.FloatVector.SPECIES_PREFERRED);
        List<String> peer = new ArrayList<>();
        for (boolean passive : new boolean[] {false, true}) {
            peer.addAll(TorchPeer.run(new File("src/test/java/dev/sparseattn/trainer/model/ops/softmax_torch.py"),
                    List.of("--threads", String.valueOf(threads), "--shapes", shapes, "--reps",
                            String.valueOf(reps)), passive));
        }
        StringBuilder table = new StringBuilder("| shape | libnd4j ms best (median) | Vector API ms best (median) "
                + "| speed-up (medians) | PyTorch ms, best median of its two runs | PyTorch's time / Vector API's |\n"
                + "| --- | --- | --- | --- | --- | --- |\n");
        for (String spec : shapes.split(",")) {
            long[] shape = Arrays.stream(spec.split("x")).mapToLong(Long::parseLong).toArray();
            INDArray x = Nd4j.randn(DataType.FLOAT, shape).muli(4);
            INDArray y = x.dup();
            double[] a = time(() -> Nd4j.exec(new SoftMax(y, y, y.rank() - 1)), x, y, reps);
            double[] b = time(() -> VectorSoftmax.rows(y, threads), x, y, reps);
            INDArray exact = x.castTo(DataType.DOUBLE);                       // both paths against double's
            Nd4j.exec(new SoftMax(exact, exact, x.rank() - 1));
            y.assign(x);
            Nd4j.exec(new SoftMax(y, y, y.rank() - 1));
            double nd4jError = exact.sub(y.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
            y.assign(x);
            VectorSoftmax.rows(y, threads);
            double vectorError = exact.sub(y.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
            System.out.printf("%s: largest error against a softmax in double: libnd4j %.2e, Vector API %.2e%n", spec,
                    nd4jError, vectorError);
            assertTrue(vectorError <= 1e-6, spec + ": the Vector API path's error " + vectorError);
            double torch = peer.stream().filter(l -> l.startsWith("softmax shape " + spec + " "))
                    .mapToDouble(l -> Double.parseDouble(l.replaceAll(".*median_ms ", ""))).min().orElse(Double.NaN);
            table.append(String.format("| %s | %.2f (%.2f) | %.2f (%.2f) | %.2fx | %.2f | %.2fx |%n", spec, a[0], a[1],
                    b[0], b[1], a[1] / b[1], torch, torch / b[1]));
        }
        double sgemm = Sgemm.gflops();
        System.out.print(table);
        System.out.printf("ND4J SGEMM (2048^3) in this JVM: %.1f GFLOP/s; %s%n", sgemm, Load.uptime());
    }

    /** Best and median milliseconds of {@code reps} timed calls, each on a fresh copy of x, after 20 untimed calls. */
    private static double[] time(Runnable op, INDArray x, INDArray y, int reps) {
        for (int i = 0; i < 20; i++) {                                 // the Vector API is slow until C2 compiles it
            y.assign(x);
            op.run();
        }
        double[] ms = new double[reps];
        for (int i = 0; i < reps; i++) {
            y.assign(x);
            long t = System.nanoTime();
            op.run();
            ms[i] = (System.nanoTime() - t) / 1e6;
        }
        Arrays.sort(ms);
        return new double[] {ms[0], ms[reps / 2]};
    }
}
