package dev.sparseattn.trainer.model.attention;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.trainer.model.SingleThreadNd4j;
import dev.sparseattn.trainer.model.attention.decode.DecodeCache;
import dev.sparseattn.trainer.model.attention.decode.DecodeCaches;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * LSH decoding ({@link dev.sparseattn.trainer.model.attention.decode.LshCache}): the step at position t equals
 * {@link LshAttention}'s full causal forward over the prefix {@code 0 .. t} at t, and dense attention under that
 * forward's union-of-rounds pattern written out ({@link LshAttentionTest#unionMask}); rows prefilled to different
 * lengths (0 and chunk boundaries), with padding. And the reason for that definition: the full forward over the whole
 * sequence differs at earlier positions, whose chunks move with later tokens.
 */
@ExtendWith(SingleThreadNd4j.class)
class LshDecodeTest {

    private static final int B = 2;     // LshAttentionTest.unionMask's batch and heads
    private static final int H = 2;
    private static final int HD = 4;

    @BeforeEach
    void seed() {
        Nd4j.getRandom().setSeed(11);
    }

    private static INDArray prefix(INDArray a, int n) {
        return a.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, n), NDArrayIndex.all()).dup('c');
    }

    private static INDArray at(INDArray a, int p) {
        return a.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(p, p + 1), NDArrayIndex.all());
    }

    private static double[] flat(INDArray a) {
        return a.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    }

    private static double err(INDArray got, INDArray want) {
        return got.castTo(DataType.DOUBLE).sub(want.castTo(DataType.DOUBLE)).amaxNumber().doubleValue()
                / Math.max(1.0, want.castTo(DataType.DOUBLE).amaxNumber().doubleValue());
    }

    private static void check(int hashes, int buckets, int chunk, int len, int[] prefixes, boolean padded, DataType type,
                              double tol) {
        AttentionSpec spec = AttentionSpec.lsh(hashes, buckets, chunk, 5L, true);
        INDArray q = Nd4j.randn(DataType.DOUBLE, B, H, len, HD).castTo(type);
        INDArray k = Nd4j.randn(DataType.DOUBLE, B, H, len, HD).castTo(type);
        INDArray v = Nd4j.randn(DataType.DOUBLE, B, H, len, HD).castTo(type);
        double[][] keyMask = padded ? DecodeCacheTest.padding(B, len, 7) : null;
        INDArray mask = padded ? Nd4j.createFromArray(keyMask).castTo(type) : null;
        // the reference at every position t: the kernel over the prefix 0 .. t, and dense under its pattern
        INDArray expected = Nd4j.create(type, B, H, len, HD);
        INDArray dense = Nd4j.create(type, B, H, len, HD);
        for (int t = 0; t < len; t++) {
            LshAttention lsh = new LshAttention(hashes, buckets, chunk, true, 5L);
            INDArray m = mask == null ? null : mask.get(NDArrayIndex.all(), NDArrayIndex.interval(0, t + 1)).dup('c');
            lsh.setKeyMask(m);
            INDArray o = Nd4j.create(type, B, H, t + 1, HD);
            lsh.forward(prefix(q, t + 1), prefix(k, t + 1), prefix(v, t + 1), o, null);
            at(expected, t).assign(at(o, t));
            int n = t + 1;
            double[][] km = keyMask == null ? null : Arrays.stream(keyMask).map(r -> Arrays.copyOf(r, n))
                    .toArray(double[][]::new);
            INDArray pattern = LshAttentionTest.unionMask(lsh.lastBuckets(), chunk, true, km);
            MaskedDenseAttention ref = new MaskedDenseAttention((b, h, l) -> pattern);
            INDArray qn = prefix(q, t + 1).castTo(DataType.DOUBLE);
            INDArray kn = qn.div(qn.norm2(3).reshape(B, H, t + 1, 1)).castTo(type);      // shared-QK keys
            INDArray od = Nd4j.create(type, B, H, t + 1, HD);
            ref.forward(prefix(q, t + 1), kn, prefix(v, t + 1), od, null);
            at(dense, t).assign(at(od, t));
        }
        DecodeCache cache = DecodeCaches.create(spec, B, H, HD, null, type, 4);
        cache.prefill(q, k, v, prefixes, mask);
        int steps = len - Arrays.stream(prefixes).max().getAsInt();
        double worst = 0;
        double[][] src = {flat(q), flat(k), flat(v)};
        double[][] refs = {flat(expected), flat(dense)};
        int n = H * HD;
        for (int s = 0; s < steps; s++) {                       // the plain-array step this time
            double[][] in = new double[3][B * n];
            boolean[] real = new boolean[B];
            for (int b = 0; b < B; b++) {
                int p = prefixes[b] + s;
                for (int x = 0; x < 3; x++) {
                    for (int h = 0; h < H; h++) {
                        System.arraycopy(src[x], ((b * H + h) * len + p) * HD, in[x], (b * H + h) * HD, HD);
                    }
                }
                real[b] = keyMask == null || keyMask[b][p] != 0;
            }
            double[] got = new double[B * n];
            cache.step(in[0], in[1], in[2], real, null, got);
            for (int b = 0; b < B; b++) {
                int p = prefixes[b] + s;
                for (double[] ref : refs) {
                    double amax = 0;
                    double diff = 0;
                    for (int h = 0; h < H; h++) {
                        for (int d = 0; d < HD; d++) {
                            double w = ref[((b * H + h) * len + p) * HD + d];
                            amax = Math.max(amax, Math.abs(w));
                            diff = Math.max(diff, Math.abs(w - got[(b * H + h) * HD + d]));
                        }
                    }
                    double e = diff / Math.max(1.0, amax);
                    assertTrue(e <= tol, "LSH row " + b + " position " + p + ": error " + e);
                    worst = Math.max(worst, e);
                }
            }
        }
        assertTrue(expected.amaxNumber().doubleValue() > 0.1);
        System.out.println("decode LSH hashes=" + hashes + " buckets=" + buckets + " chunk=" + chunk + " L=" + len
                + " prefixes " + Arrays.toString(prefixes) + " " + type + (padded ? " padded" : "")
                + ": worst relative error " + worst);
    }

    @Test
    void stepEqualsTheFullForwardOverThePrefix() {
        check(2, 4, 4, 26, new int[] {0, 8}, false, DataType.DOUBLE, 1e-9);
        check(3, 2, 3, 22, new int[] {6, 13}, true, DataType.DOUBLE, 1e-9);
        check(1, 1, 5, 16, new int[] {10, 5}, false, DataType.DOUBLE, 1e-9);     // one bucket: chunked causal band
        check(2, 4, 4, 22, new int[] {0, 12}, true, DataType.FLOAT, 1e-4);
    }

    /** Why the decode semantics is "over the prefix": over the whole sequence, earlier outputs see later tokens. */
    @Test
    void theFullForwardOverTheWholeSequenceDependsOnLaterTokens() {
        int len = 30;
        INDArray q = Nd4j.randn(DataType.DOUBLE, B, H, len, HD);
        INDArray v = Nd4j.randn(DataType.DOUBLE, B, H, len, HD);
        INDArray whole = Nd4j.create(DataType.DOUBLE, B, H, len, HD);
        new LshAttention(2, 4, 4, true, 5L).forward(q, q, v, whole, null);
        int differing = 0;
        for (int t = 0; t < len; t++) {
            INDArray o = Nd4j.create(DataType.DOUBLE, B, H, t + 1, HD);
            new LshAttention(2, 4, 4, true, 5L).forward(prefix(q, t + 1), prefix(q, t + 1), prefix(v, t + 1), o, null);
            if (err(at(o, t), at(whole, t)) > 1e-6) {
                differing++;
            }
        }
        System.out.println("LSH: " + differing + " of " + len + " positions differ between the whole-sequence forward "
                + "and the forward over their prefix");
        assertTrue(differing > 0);
    }
}
