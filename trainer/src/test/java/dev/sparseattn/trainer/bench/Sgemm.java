package dev.sparseattn.trainer.bench;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The benchmarks' same-JVM baseline: ND4J's SGEMM. */
public final class Sgemm {

    private Sgemm() {
    }

    /** Best of 4 SGEMMs 2048 x 2048 x 2048 into a preallocated output (GFLOP/s). */
    public static double gflops() {
        int n = 2048;
        INDArray a = Nd4j.rand(DataType.FLOAT, n, n);
        INDArray b = Nd4j.rand(DataType.FLOAT, n, n);
        INDArray c = Nd4j.createUninitialized(DataType.FLOAT, new long[] {n, n}, 'f');
        double best = Double.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            long start = System.nanoTime();
            Nd4j.gemm(a, b, c, false, false, 1.0, 0.0);
            best = Math.min(best, (System.nanoTime() - start) / 1e9);
        }
        a.close();
        b.close();
        c.close();
        return 2.0 * n * n * n / best / 1e9;
    }
}
