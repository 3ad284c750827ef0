package dev.sparseattn.trainer.model.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The last-axis softmax: the Vector API path and libnd4j's against a softmax written out in double, on row lengths
 * below, at and off the SIMD width, masked entries and rows of only masked scores, views and workspace arrays.
 */
class SoftmaxTest {

    private static final long[][] SHAPES = {{3, 5, 7}, {2, 33}, {4, 2, 258}, {2, 4, 16, 128}, {1, 1}};

    @BeforeEach
    void seed() {
        Nd4j.getRandom().setSeed(11);
    }

    @Test
    void theVectorPathIsTakenInTheseJvms() {
        // surefire starts the JVM with --add-modules=jdk.incubator.vector (java17.opens): the fast path must be live
        assertTrue(Softmax.vectorised(Nd4j.create(DataType.FLOAT, 4, 8)));
        assertTrue(Softmax.vectorised(Nd4j.create(DataType.DOUBLE, 4, 8)));
        assertFalse(Softmax.vectorised(Nd4j.create(DataType.FLOAT, 4, 8).transpose()), "a transposed view");
        assertFalse(Softmax.vectorised(Nd4j.create(DataType.HALF, 4, 8)), "half precision");
    }

    @Test
    void vectorPathEqualsTheDefinitionOnEveryShapeAndThreadCount() {
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            for (long[] shape : SHAPES) {
                INDArray x = scores(type, shape);
                for (int threads = 1; threads <= 3; threads++) {
                    INDArray y = x.dup();
                    VectorSoftmax.rows(y, threads);
                    assertMatches(x, y, type);
                }
            }
        }
    }

    @Test
    void libnd4jPathEqualsTheDefinitionToo() {
        for (long[] shape : SHAPES) {
            INDArray x = scores(DataType.DOUBLE, shape);
            flatRows(x).getRow(0).addi(1e9);            // libnd4j's softmax of a row of only -1e9 is NaN (callers lift it)
            INDArray y = x.dup();
            Nd4j.exec(new SoftMax(y, y, y.rank() - 1));
            assertMatches(x, y, DataType.DOUBLE);
        }
    }

    @Test
    void aContiguousViewIsSoftmaxedInPlaceAndNothingAroundIt() {
        INDArray big = scores(DataType.FLOAT, new long[] {4, 5, 16});
        INDArray before = big.dup();
        INDArray view = big.get(NDArrayIndex.interval(1, 3), NDArrayIndex.all(), NDArrayIndex.all());
        assertTrue(Softmax.vectorised(view), "a c-contiguous view at an offset");
        Softmax.lastAxisInPlace(view);
        assertMatches(before.get(NDArrayIndex.interval(1, 3), NDArrayIndex.all(), NDArrayIndex.all()), view,
                DataType.FLOAT);
        assertEquals(before.get(NDArrayIndex.point(0)), big.get(NDArrayIndex.point(0)));
        assertEquals(before.get(NDArrayIndex.point(3)), big.get(NDArrayIndex.point(3)));
    }

    @Test
    void aStridedViewFallsBackToLibnd4jWithTheSameResult() {
        INDArray x = scores(DataType.DOUBLE, new long[] {6, 10});
        INDArray big = Nd4j.create(DataType.DOUBLE, 6, 20);
        INDArray view = big.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 2, 20));          // every other column
        view.assign(x);
        assertFalse(Softmax.vectorised(view));
        Softmax.lastAxisInPlace(view);
        assertMatches(x, view, DataType.DOUBLE);
    }

    @Test
    void workspaceArraysTakeTheVectorPath() {
        WorkspaceConfiguration conf = WorkspaceConfiguration.builder().initialSize(1 << 20).build();
        INDArray x = scores(DataType.FLOAT, new long[] {8, 40});
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(conf, "SoftmaxTest")) {
            Nd4j.create(DataType.FLOAT, 3, 3).assign(1);                                      // a later offset
            INDArray y = x.dup();
            assertTrue(y.isAttached() && Softmax.vectorised(y));
            Softmax.lastAxisInPlace(y);
            assertMatches(x, y, DataType.FLOAT);
        }
    }

    @Test
    void aJvmWithoutTheModuleFallsBackToLibnd4jWithTheSameResult() throws Exception {
        // a user's spark-submit without --add-modules=jdk.incubator.vector: no NoClassDefFoundError, libnd4j's softmax
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process p = new ProcessBuilder(new File(System.getProperty("java.home"), "bin/java").getPath(),
                "-Dorg.apache.logging.log4j.level=INFO", "-cp", classpath, WithoutTheModule.class.getName()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.contains("vectorised false, matches the definition"), out);
        assertTrue(out.contains("the JVM was started without --add-modules=jdk.incubator.vector"), out);
    }

    /** Run in a JVM started without {@code --add-modules=jdk.incubator.vector}. */
    static final class WithoutTheModule {
        public static void main(String[] args) {
            Nd4j.getRandom().setSeed(11);
            INDArray x = scores(DataType.FLOAT, new long[] {3, 4, 40});
            INDArray y = x.dup();
            Softmax.lastAxisInPlace(y);
            assertMatches(x, y, DataType.FLOAT);
            System.out.println("vectorised " + Softmax.vectorised(y) + ", matches the definition");
        }
    }

    /** Random scores with masked entries (-1e9), row 0 wholly masked: a row of only masked scores is uniform. */
    private static INDArray scores(DataType type, long[] shape) {
        INDArray x = Nd4j.randn(type, shape).muli(4);
        INDArray flat = flatRows(x);
        INDArray mask = Nd4j.rand(type, flat.shape()).lt(0.3).castTo(type).muli(-1e9);
        flat.addi(mask);
        flat.getRow(0).assign(-1e9);
        return x;
    }

    private static INDArray flatRows(INDArray x) {
        return x.reshape(x.length() / x.size(-1), x.size(-1));
    }

    private static void assertMatches(INDArray x, INDArray y, DataType type) {
        int n = (int) x.size(-1);
        double[] xs = x.dup('c').castTo(DataType.DOUBLE).data().asDouble();
        double[] ys = y.dup('c').castTo(DataType.DOUBLE).data().asDouble();
        double tol = type == DataType.FLOAT ? 1e-6 : 1e-14;
        for (int r = 0; r < xs.length / n; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                max = Math.max(max, xs[r * n + i]);
            }
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += Math.exp(xs[r * n + i] - max);
            }
            for (int i = 0; i < n; i++) {
                double want = Math.exp(xs[r * n + i] - max) / sum;
                assertEquals(want, ys[r * n + i], tol, "row " + r + " column " + i);
            }
        }
    }
}
