package dev.sparseattn.trainer.model.attention;

import dev.sparseattn.trainer.model.attention.decode.DecodeCache;
import dev.sparseattn.trainer.model.attention.decode.DecodeCaches;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Time per decode step of one attention layer's cache (4 heads x 32, float32 model): the sliding window (w 128 and
 * 256, batch 1 and 8) after prefills of 1k to 64k tokens, whose step time must not grow with the context, and dense
 * at 1k and 4k. Also the same sliding-window step written as ND4J calls (batched products over all rows and heads,
 * in-place softmax, preallocated buffers; no dilation or masking, so a lower bound on that design), to show why the
 * caches step in plain Java loops. Prints a table; asserts nothing about time (the machine is shared).
 * {@code mvn -pl trainer -am test -Pslow -Dtest=DecodeStepBenchmark -Dsurefire.failIfNoSpecifiedTests=false}
 * ({@code -Dbench.steps=N}, default 1000).
 */
@Tag("slow")
class DecodeStepBenchmark {

    private static final int H = 4;
    private static final int HD = 32;
    private static final int STEPS = Integer.getInteger("bench.steps", 1000);

    @Test
    void stepTimes() {
        run("warm-up (JIT), not a result", AttentionSpec.slidingWindow(256, true), 8, 1024);
        System.out.println("| pattern | batch | context | median us/step | p99 us/step | cache MB |");
        System.out.println("| --- | --- | --- | --- | --- | --- |");
        for (int window : new int[] {128, 256}) {
            for (int batch : new int[] {1, 8}) {
                for (int context : new int[] {1024, 4096, 16384, 65536}) {
                    run("sliding-window " + window, AttentionSpec.slidingWindow(window, true), batch, context);
                }
            }
        }
        for (int batch : new int[] {1, 8}) {
            for (int context : new int[] {1024, 4096}) {
                run("dense", AttentionSpec.denseCausal(), batch, context);
            }
        }
        for (int window : new int[] {128, 256}) {
            for (int batch : new int[] {1, 8}) {
                nd4jSliding(window, batch);
            }
        }
        indArrayOverhead();
    }

    private static void run(String name, AttentionSpec spec, int batch, int context) {
        DecodeCache cache = DecodeCaches.create(spec, batch, H, HD, null, DataType.FLOAT, context + STEPS + 300);
        INDArray k = Nd4j.randn(DataType.FLOAT, batch, H, context, HD);
        INDArray v = Nd4j.randn(DataType.FLOAT, batch, H, context, HD);
        cache.prefill(k, v, null, null);
        k.close();
        v.close();
        double[][] in = random(3, batch * H * HD);
        double[] out = new double[batch * H * HD];
        for (int s = 0; s < 300; s++) {
            cache.step(in[0], in[1], in[2], null, null, out);            // warm-up
        }
        long[] t = new long[STEPS];
        for (int s = 0; s < STEPS; s++) {
            long t0 = System.nanoTime();
            cache.step(in[0], in[1], in[2], null, null, out);
            t[s] = System.nanoTime() - t0;
        }
        print(name, batch, context, t, cache.bytes());
    }

    /** The sliding-window step as ND4J calls: write the ring, one batched product, softmax, one batched product. */
    private static void nd4jSliding(int window, int batch) {
        int ring = window + 1;
        long bh = (long) batch * H;
        INDArray keys = Nd4j.randn(DataType.FLOAT, bh, ring, HD);
        INDArray values = Nd4j.randn(DataType.FLOAT, bh, ring, HD);
        INDArray q = Nd4j.randn(DataType.FLOAT, bh, 1, HD);
        INDArray kNew = Nd4j.randn(DataType.FLOAT, bh, 1, HD);
        INDArray vNew = Nd4j.randn(DataType.FLOAT, bh, 1, HD);
        INDArray scores = Nd4j.create(DataType.FLOAT, bh, 1, ring);
        INDArray out = Nd4j.create(DataType.FLOAT, bh, 1, HD);
        long[] t = new long[STEPS];
        for (int s = -300; s < STEPS; s++) {
            long t0 = System.nanoTime();
            int slot = Math.floorMod(s, ring);
            keys.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                    org.nd4j.linalg.indexing.NDArrayIndex.interval(slot, slot + 1)).assign(kNew);
            values.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                    org.nd4j.linalg.indexing.NDArrayIndex.interval(slot, slot + 1)).assign(vNew);
            Nd4j.matmul(q, keys, scores, false, true, false);
            scores.muli(1.0 / Math.sqrt(HD));
            Nd4j.exec(new SoftMax(scores, scores, 2));
            Nd4j.matmul(scores, values, out, false, false, false);
            if (s >= 0) {
                t[s] = System.nanoTime() - t0;
            }
        }
        print("sliding-window " + window + " as ND4J calls", batch, 0, t, 0);
    }

    /** The INDArray step (conversions in and out) against the plain-array one: batch 1, window 128, 4k context. */
    private static void indArrayOverhead() {
        DecodeCache cache = DecodeCaches.create(AttentionSpec.slidingWindow(128, true), 1, H, HD, null, DataType.FLOAT,
                0);
        INDArray k = Nd4j.randn(DataType.FLOAT, 1, H, 4096, HD);
        cache.prefill(k, k, null, null);
        INDArray x = Nd4j.randn(DataType.FLOAT, 1, H, 1, HD);
        INDArray out = Nd4j.create(DataType.FLOAT, 1, H, 1, HD);
        long[] t = new long[STEPS];
        for (int s = -300; s < STEPS; s++) {
            long t0 = System.nanoTime();
            cache.step(x, x, x, null, out);
            if (s >= 0) {
                t[s] = System.nanoTime() - t0;
            }
        }
        print("sliding-window 128, INDArray step", 1, 4096, t, cache.bytes());
    }

    private static double[][] random(int n, int size) {
        Random r = new Random(1);
        double[][] a = new double[n][size];
        for (double[] x : a) {
            for (int i = 0; i < size; i++) {
                x[i] = r.nextGaussian();
            }
        }
        return a;
    }

    private static void print(String name, int batch, int context, long[] t, long bytes) {
        long[] s = t.clone();
        Arrays.sort(s);
        System.out.printf("| %s | %d | %s | %.1f | %.1f | %s |%n", name, batch, context == 0 ? "-" : context,
                s[s.length / 2] / 1e3, s[(int) (s.length * 0.99)] / 1e3, bytes == 0 ? "-"
                        : String.format("%.2f", bytes / 1e6));
    }
}
