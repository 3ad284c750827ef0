package dev.sparseattn.trainer.model.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.trainer.model.SingleThreadNd4j;
import dev.sparseattn.trainer.model.attention.decode.DecodeCache;
import dev.sparseattn.trainer.model.attention.decode.DecodeCaches;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Incremental decoding ({@link DecodeCache}) against the pattern's full causal forward and against
 * {@link MaskedDenseAttention} under the pattern written out pair by pair: random q, k, v, a batch of rows prefilled
 * to different lengths (0 and window/block/stride boundaries included), then stepped one token at a time; every
 * stepped position must equal both within 1e-9 (double) or 1e-4 (float32) relative to the output's scale. With
 * padding (key mask) and global tokens, shared and per row.
 */
@ExtendWith(SingleThreadNd4j.class)
class DecodeCacheTest {

    private static final int H = 4;
    private static final int HD = 8;

    @BeforeEach
    void seed() {
        Nd4j.getRandom().setSeed(42);
    }

    /** Random 0/1 padding, about one token in six, never position 0 of row 0. */
    static double[][] padding(int batch, int len, long seed) {
        java.util.Random r = new java.util.Random(seed);
        double[][] m = new double[batch][len];
        for (double[] row : m) {
            for (int j = 0; j < len; j++) {
                row[j] = r.nextInt(6) == 0 ? 0 : 1;
            }
        }
        m[0][0] = 1;
        return m;
    }

    /** Largest error of the decoded positions, relative to max(1, |reference|) per row; asserts it below tol. */
    static double check(AttentionSpec spec, int len, int[] prefixes, double[][] keyMask, int[][] perRow, INDArray pattern,
                        DataType type, double tol) {
        int batch = prefixes.length;
        INDArray q = Nd4j.randn(DataType.DOUBLE, batch, H, len, HD).castTo(type);
        INDArray k = Nd4j.randn(DataType.DOUBLE, batch, H, len, HD).castTo(type);
        INDArray v = Nd4j.randn(DataType.DOUBLE, batch, H, len, HD).castTo(type);
        INDArray mask = keyMask == null ? null : Nd4j.createFromArray(keyMask).castTo(type);
        Attention full = Attentions.create(spec, H);
        full.setKeyMask(mask);
        if (perRow != null) {
            full.setGlobalTokens(perRow);
        }
        INDArray expected = Nd4j.create(type, batch, H, len, HD);
        full.forward(q, k, v, expected, null);
        INDArray dense = null;
        if (pattern != null) {
            MaskedDenseAttention reference = new MaskedDenseAttention((b, h, l) -> pattern);
            reference.setKeyMask(mask);
            dense = Nd4j.create(type, batch, H, len, HD);
            reference.forward(q, k, v, dense, null);
        }
        DecodeCache cache = DecodeCaches.create(spec, batch, H, HD, perRow, type, 4);
        cache.prefill(q, k, v, prefixes, mask);
        int steps = len - Arrays.stream(prefixes).max().getAsInt();
        double[][] src = {flat(q), flat(k), flat(v)};
        double[][] refs = dense == null ? new double[][] {flat(expected)} : new double[][] {flat(expected), flat(dense)};
        double worst = 0;
        double scaleSeen = 0;
        INDArray out = Nd4j.create(type, batch, H, 1, HD);
        for (int s = 0; s < steps; s++) {
            double[][] in = new double[3][batch * H * HD];
            double[] stepMask = new double[batch];
            for (int b = 0; b < batch; b++) {
                int p = prefixes[b] + s;
                for (int x = 0; x < 3; x++) {
                    copyPosition(src[x], b, p, len, in[x], b);
                }
                stepMask[b] = keyMask == null ? 1 : keyMask[b][p];
            }
            cache.step(array(in[0], batch, type), array(in[1], batch, type), array(in[2], batch, type),
                    Nd4j.createFromArray(stepMask).castTo(type), out);
            double[] got = flat(out);
            for (int b = 0; b < batch; b++) {
                int p = prefixes[b] + s;
                assertEquals(p + 1, cache.length(b));
                for (double[] ref : refs) {
                    double[] w = new double[batch * H * HD];
                    copyPosition(ref, b, p, len, w, b);
                    double amax = 0;
                    double diff = 0;
                    for (int x = b * H * HD; x < (b + 1) * H * HD; x++) {
                        amax = Math.max(amax, Math.abs(w[x]));
                        diff = Math.max(diff, Math.abs(w[x] - got[x]));
                    }
                    double err = diff / Math.max(1.0, amax);
                    assertTrue(err <= tol, spec.kind() + " row " + b + " position " + p + ": error " + err + " > "
                            + tol);
                    worst = Math.max(worst, err);
                    scaleSeen = Math.max(scaleSeen, amax);
                }
            }
        }
        assertTrue(steps > 0 && scaleSeen > 0.1, "the comparison must not be vacuous");
        System.out.println("decode " + spec.kind() + " L=" + len + " prefixes " + Arrays.toString(prefixes) + " "
                + type + (keyMask != null ? " padded" : "") + (perRow != null ? " per-row global" : "")
                + ": worst relative error " + worst);
        return worst;
    }

    static double[] flat(INDArray a) {
        return a.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    }

    /** Position p of row b of a flat [B, H, len, HD] array into row c of a flat [B, H, 1, HD] one. */
    static void copyPosition(double[] from, int b, int p, int len, double[] to, int c) {
        for (int h = 0; h < H; h++) {
            System.arraycopy(from, ((b * H + h) * len + p) * HD, to, (c * H + h) * HD, HD);
        }
    }

    static INDArray array(double[] a, int batch, DataType type) {
        return Nd4j.createFromArray(a).reshape(batch, H, 1, HD).castTo(type);
    }

    /** Position p of row b, {@code [H, 1, HD]}. */
    static INDArray at(INDArray a, int b, int p) {
        return a.get(NDArrayIndex.point(b), NDArrayIndex.all(), NDArrayIndex.interval(p, p + 1), NDArrayIndex.all());
    }

    private static INDArray repeatRows(INDArray pattern, int batch) {
        return pattern.size(0) == batch ? pattern : Nd4j.concat(0, IntStream.range(0, batch)
                .mapToObj(b -> pattern).toArray(INDArray[]::new));
    }

    @Test
    void denseCausal() {
        AttentionSpec spec = AttentionSpec.denseCausal();
        INDArray causal = DenseCausalAttention.causalPattern(1, 1, 29);
        check(spec, 29, new int[] {0, 16, 7}, null, null, causal, DataType.DOUBLE, 1e-9);
        check(spec, 29, new int[] {0, 16, 7}, padding(3, 29, 1), null, causal, DataType.DOUBLE, 1e-9);
        check(spec, 29, new int[] {3, 0, 12}, padding(3, 29, 2), null, causal, DataType.FLOAT, 1e-4);
    }

    @Test
    void slidingWindowWithDilationsPaddingAndGlobalTokens() {
        int window = 3;
        int[] dilations = {1, 2, 1, 3};
        int[] shared = {0, 2};
        int[][] perRow = {{}, {11}, {5, 21}};
        int len = 40;
        AttentionSpec spec = AttentionSpec.slidingWindow(window, true).withDilations(1, 2, 1, 3).withGlobal(0, 2);
        for (DataType type : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            double tol = type == DataType.DOUBLE ? 1e-9 : 1e-4;
            double[][] keyMask = padding(3, len, 3);
            INDArray pattern = Nd4j.concat(0, IntStream.range(0, 3).mapToObj(b -> AttentionCheck.slidingMask(len, window,
                    true, dilations, H, new double[][] {keyMask[b]}, IntStream.concat(Arrays.stream(shared),
                            Arrays.stream(perRow[b])).toArray())).toArray(INDArray[]::new));
            // prefixes: 0, the ring's length (w * max d + 1 = 10), inside the kept global span (3), past a global
            check(spec, len, new int[] {0, 10, 3}, keyMask, perRow, pattern, type, tol);
            check(spec, len, new int[] {9, 22, 12}, keyMask, perRow, pattern, type, tol);
        }
        // no global tokens: ring only, long enough to wrap several times, block size set
        AttentionSpec plain = AttentionSpec.slidingWindow(4, true).withDilations(1, 2, 1, 2).withBlockSize(3);
        INDArray pattern = AttentionCheck.slidingMask(50, 4, true, new int[] {1, 2, 1, 2}, H, null);
        check(plain, 50, new int[] {0, 9, 17}, null, null, pattern, DataType.DOUBLE, 1e-9);
    }

    @Test
    void slidingWindowRefusesGlobalTokensFromTheEnd() {
        AttentionSpec spec = AttentionSpec.slidingWindow(3, true).withGlobal(0, -1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DecodeCaches.create(spec, 1, H, HD, null, DataType.FLOAT, 8));
        assertTrue(e.getMessage().contains("global token -1 counts from the end"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DecodeCaches.create(AttentionSpec.slidingWindow(3, false),
                1, H, HD, null, DataType.FLOAT, 8));
    }

    @Test
    void slidingWindowMemoryIsTheRingPlusTheGlobalSpan() {
        AttentionSpec spec = AttentionSpec.slidingWindow(8, true).withDilations(1, 2).withGlobal(0, 1, 2, 3);
        DecodeCache cache = DecodeCaches.create(spec, 2, 2, HD, null, DataType.FLOAT, 8);
        long before = cache.bytes();
        INDArray k = Nd4j.randn(DataType.FLOAT, 2, 2, 500, HD);
        cache.prefill(k, k, null, null);
        double[] x = new double[2 * 2 * HD];
        for (int s = 0; s < 300; s++) {
            cache.step(x, x, x, null, null, new double[x.length]);
        }
        assertEquals(before, cache.bytes());
        assertEquals((4 + 8 * 2 + 1) * 2 * 2 * (8L * HD + 1), before, "float32: 4 bytes per key and value element");
    }

    /**
     * A float32 model's cache stores floats (half a double cache's key/value bytes); a double model's stores doubles.
     * The same float32 inputs through both give the same outputs to float precision (the float store rounds keys
     * and values that come in wider than float, as a step's projections do).
     */
    @Test
    void float32ModelsStoreFloatsDoubleModelsDoubles() {
        AttentionSpec spec = AttentionSpec.dense(true);
        int batch = 2;
        int len = 40;
        DecodeCache single = DecodeCaches.create(spec, batch, H, HD, null, DataType.FLOAT, len);
        DecodeCache wide = DecodeCaches.create(spec, batch, H, HD, null, DataType.DOUBLE, len);
        long slots = (long) batch * H * len;
        assertEquals(slots * (8L * HD + 1), single.bytes());
        assertEquals(slots * (16L * HD + 1), wide.bytes());
        java.util.Random r = new java.util.Random(3);
        double[] q = new double[batch * H * HD];
        double[] k = new double[q.length];
        double[] v = new double[q.length];
        double[] outSingle = new double[q.length];
        double[] outWide = new double[q.length];
        double worst = 0;
        for (int s = 0; s < len; s++) {
            for (int x = 0; x < q.length; x++) {
                q[x] = r.nextGaussian();
                k[x] = r.nextGaussian();
                v[x] = r.nextGaussian();
            }
            single.step(q, k, v, null, null, outSingle);
            wide.step(q, k, v, null, null, outWide);
            for (int x = 0; x < q.length; x++) {
                worst = Math.max(worst, Math.abs(outSingle[x] - outWide[x]));
            }
        }
        assertTrue(worst > 0, "the float store rounds keys and values given in double");
        assertTrue(worst < 1e-5, "float store against double store: " + worst);
        double[] key = new double[HD];
        single.readKey(1, 2, 7, key, 0);
        assertEquals((float) key[3], key[3], 0.0, "a stored key reads back as a float value");
    }

    @Test
    void stridedAndFixed() {
        int len = 37;
        int stride = 4;
        for (AttentionSpec spec : new AttentionSpec[] {AttentionSpec.strided(stride, true),
            AttentionSpec.fixed(stride, 1, false, true), AttentionSpec.fixed(8, 2, true, true)}) {
            INDArray pattern = SparseTransformerAttentionTest.mask(spec, len);
            int l = spec.stride();
            check(spec, len, new int[] {0, l, 2 * l + 1}, null, null, pattern, DataType.DOUBLE, 1e-9);
            check(spec, len, new int[] {l - 1, 3 * l, 1}, padding(3, len, 4), null,
                    repeatRows(pattern, 3), DataType.DOUBLE, 1e-9);
            check(spec, len, new int[] {2 * l, 0, 5}, padding(3, len, 5), null, repeatRows(pattern, 3),
                    DataType.FLOAT, 1e-4);
        }
    }

    @Test
    void bigBirdWithRandomBlocksAndGlobalTokens() {
        int len = 45;
        int block = 4;
        AttentionSpec spec = AttentionSpec.bigBird(block, 1, 2, 9L, true).withGlobal(1);
        int[][] perRow = {{}, {14}, {7, 30}};
        double[][] keyMask = padding(3, len, 6);
        BigBirdAttention kernel = new BigBirdAttention(block, 1, 2, 9L, true);
        INDArray pattern = Nd4j.concat(0, IntStream.range(0, 3).mapToObj(b -> BigBirdAttentionTest.mask(kernel, len,
                block, 1, true, IntStream.concat(IntStream.of(1), Arrays.stream(perRow[b])).toArray(),
                new double[][] {keyMask[b]})).toArray(INDArray[]::new));
        for (DataType type : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            double tol = type == DataType.DOUBLE ? 1e-9 : 1e-4;
            check(spec, len, new int[] {0, 2 * block, 3 * block - 1}, keyMask, perRow, pattern, type, tol);
            check(spec, len, new int[] {5 * block, 1, 4 * block + 1}, keyMask, perRow, pattern, type, tol);
        }
        // random blocks must exist for the check to mean something
        assertTrue(Arrays.stream(kernel.randomBlocks(len)).flatMapToInt(Arrays::stream).filter(m -> m >= 0).count() > 5);
    }

    /**
     * Serving-style use: rows pause ({@code active}), and a new sequence joins row 1 midway ({@link
     * DecodeCache#prefillRow}) while row 0 continues; every output equals its own sequence's full forward.
     */
    @Test
    void rowsPauseAndJoin() {
        AttentionSpec spec = AttentionSpec.slidingWindow(5, true).withGlobal(0);
        int len = 30;
        INDArray[][] seqs = new INDArray[3][3];                    // three sequences of q, k, v [1, H, L, HD]
        double[][] expected = new double[3][];
        for (int x = 0; x < 3; x++) {
            for (int y = 0; y < 3; y++) {
                seqs[x][y] = Nd4j.randn(DataType.DOUBLE, 1, H, len, HD);
            }
            INDArray o = Nd4j.create(DataType.DOUBLE, 1, H, len, HD);
            Attentions.create(spec, H).forward(seqs[x][0], seqs[x][1], seqs[x][2], o, null);
            expected[x] = flat(o);
        }
        DecodeCache cache = DecodeCaches.create(spec, 2, H, HD, null, DataType.DOUBLE, 4);
        int[] seqOf = {0, 1};
        cache.prefillRow(0, null, seqs[0][1], seqs[0][2], null);
        cache.reset(0);
        cache.prefillRow(0, null, prefixOf(seqs[0][1], 6), prefixOf(seqs[0][2], 6), null);
        cache.prefillRow(1, null, prefixOf(seqs[1][1], 0), prefixOf(seqs[1][2], 0), null);
        int checked = 0;
        for (int s = 0; s < 22; s++) {
            if (s == 9) {                                          // sequence 2 replaces sequence 1 in row 1
                cache.prefillRow(1, null, prefixOf(seqs[2][1], 11), prefixOf(seqs[2][2], 11), null);
                seqOf[1] = 2;
            }
            boolean[] active = {true, s % 3 != 1};
            double[][] in = new double[3][2 * H * HD];
            for (int b = 0; b < 2; b++) {
                for (int y = 0; y < 3; y++) {
                    copyPosition(flat(seqs[seqOf[b]][y]), 0, cache.length(b), len, in[y], b);
                }
            }
            int[] pos = {cache.length(0), cache.length(1)};
            double[] out = new double[2 * H * HD];
            cache.step(in[0], in[1], in[2], null, active, out);
            for (int b = 0; b < 2; b++) {
                assertEquals(active[b] ? pos[b] + 1 : pos[b], cache.length(b));
                double[] want = new double[2 * H * HD];
                if (active[b]) {
                    copyPosition(expected[seqOf[b]], 0, pos[b], len, want, b);
                    checked++;
                }
                for (int x = b * H * HD; x < (b + 1) * H * HD; x++) {
                    assertEquals(want[x], out[x], 1e-12, "row " + b + " step " + s);
                }
            }
        }
        assertTrue(checked > 30);
    }

    private static INDArray prefixOf(INDArray a, int n) {
        return a.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, n), NDArrayIndex.all()).dup('c');
    }
}
