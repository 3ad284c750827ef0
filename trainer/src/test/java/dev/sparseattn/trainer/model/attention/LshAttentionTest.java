package dev.sparseattn.trainer.model.attention;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.trainer.model.ExactArrays;
import dev.sparseattn.trainer.model.NumericGradient;
import dev.sparseattn.trainer.model.SingleThreadNd4j;
import dev.sparseattn.trainer.model.ops.Alloc;
import java.util.Arrays;
import java.util.Comparator;
import java.util.function.DoubleSupplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Reformer LSH attention against dense attention under the union-of-rounds mask it defines. */
@ExtendWith(SingleThreadNd4j.class)
class LshAttentionTest {

    private static final int B = 2;
    private static final int H = 2;
    private static final int HD = 4;

    @BeforeEach
    void seed() {
        Nd4j.getRandom().setSeed(23);
    }

    /** The pattern from the kernel's buckets, written out: [B, H, L, L]. */
    static INDArray unionMask(INDArray buckets, int chunk, boolean causal) {
        return unionMask(buckets, chunk, causal, null);
    }

    /** As above with key padding ({@code keyMask[b][j] == 0}: key j is never attended, not even by itself). */
    static INDArray unionMask(INDArray buckets, int chunk, boolean causal, double[][] keyMask) {
        int len = (int) buckets.size(3);
        int rounds = (int) buckets.size(2);
        int m = Math.min(chunk, len);
        int chunks = (len + m - 1) / m;
        double[][][][] mask = new double[B][H][len][len];
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < H; h++) {
                boolean[][] ok = new boolean[len][len];
                for (int r = 0; r < rounds; r++) {
                    int[] bucket = new int[len];
                    for (int x = 0; x < len; x++) {
                        bucket[x] = (int) buckets.getDouble(b, h, r, x);
                    }
                    Integer[] order = IntStream.range(0, len).boxed().toArray(Integer[]::new);
                    Arrays.sort(order, Comparator.<Integer>comparingInt(x -> bucket[x]).thenComparingInt(x -> x));
                    int[] slot = new int[len];
                    for (int s = 0; s < len; s++) {
                        slot[order[s]] = s;
                    }
                    for (int i = 0; i < len; i++) {
                        for (int j = 0; j < len; j++) {
                            int back = slot[i] / m - slot[j] / m;
                            // bidirectional: the first chunk's previous chunk is the last one (wrap-around)
                            boolean wrap = !causal && chunks >= 2 && back == -(chunks - 1);
                            ok[i][j] |= bucket[i] == bucket[j] && (back == 0 || back == 1 || wrap);
                        }
                    }
                }
                for (int i = 0; i < len; i++) {
                    boolean any = false;
                    for (int j = 0; j < len; j++) {
                        boolean a = ok[i][j] && j != i && (!causal || j <= i) && real(keyMask, b, j);
                        mask[b][h][i][j] = a ? 1 : 0;
                        any |= a;
                    }
                    if (!any && real(keyMask, b, i)) {
                        mask[b][h][i][i] = 1;    // itself only when nothing else is allowed
                    }
                }
            }
        }
        return Nd4j.createFromArray(mask);
    }

    private static boolean real(double[][] keyMask, int b, int j) {
        return keyMask == null || keyMask[b][j] != 0;
    }

    /** Runs LSH and the dense reference (keys = normalised queries) and returns the largest differences. */
    static double check(LshAttention lsh, int len, int chunk, boolean causal, DataType type, double tol,
                        boolean denseMask) {
        return check(lsh, len, chunk, causal, type, tol, denseMask, null);
    }

    /** As above, with a key padding mask {@code [B][len]} (or null) set on the kernel. */
    static double check(LshAttention lsh, int len, int chunk, boolean causal, DataType type, double tol,
                        boolean denseMask, double[][] keyMask) {
        lsh.setKeyMask(keyMask == null ? null : Nd4j.createFromArray(keyMask).castTo(type));
        INDArray q = Nd4j.randn(DataType.DOUBLE, B, H, len, HD).castTo(type);
        INDArray k = Nd4j.randn(DataType.DOUBLE, B, H, len, HD).castTo(type);   // ignored: shared QK
        INDArray v = Nd4j.randn(DataType.DOUBLE, B, H, len, HD).castTo(type);
        INDArray dOut = Nd4j.randn(DataType.DOUBLE, B, H, len, HD).castTo(type);
        INDArray out = Nd4j.create(type, B, H, len, HD);
        lsh.forward(q, k, v, out, Alloc.current(type));
        INDArray dq = Nd4j.create(type, B, H, len, HD);
        INDArray dk = Nd4j.create(type, B, H, len, HD);
        INDArray dv = Nd4j.create(type, B, H, len, HD);
        lsh.backward(dOut, dq, dk, dv);

        INDArray mask = denseMask ? denseWithSelfRule(len, causal)
                : unionMask(lsh.lastBuckets(), chunk, causal, keyMask);
        INDArray norm = q.norm2(3).reshape(B, H, len, 1);
        INDArray kn = q.div(norm);
        MaskedDenseAttention dense = new MaskedDenseAttention((b, h, l) -> mask);
        INDArray ref = Nd4j.create(type, B, H, len, HD);
        dense.forward(q, kn, v, ref, Alloc.current(type));
        INDArray rdq = Nd4j.create(type, B, H, len, HD);
        INDArray rdk = Nd4j.create(type, B, H, len, HD);
        INDArray rdv = Nd4j.create(type, B, H, len, HD);
        dense.backward(dOut, rdq, rdk, rdv);
        INDArray along = rdk.mul(kn).sum(3).reshape(B, H, len, 1);
        rdq.addi(rdk.sub(kn.mul(along)).divi(norm));                       // through k = q / |q|
        double e = Math.max(Math.max(AttentionCheck.diff(out, ref), AttentionCheck.diff(dq, rdq)),
                AttentionCheck.diff(dv, rdv));
        System.out.println("LSH L=" + len + " chunk=" + chunk + " causal=" + causal + " " + type
                + (denseMask ? " (one bucket = dense)" : "") + (keyMask != null ? " key mask" : "") + ": max error "
                + e);
        assertTrue(ref.amaxNumber().doubleValue() > 0.1 && rdq.amaxNumber().doubleValue() > 0.1, "not vacuous");
        assertTrue(e <= tol, "LSH error " + e);
        assertTrue(dk.amaxNumber().doubleValue() == 0.0, "shared QK: k gets no gradient");
        return e;
    }

    /** Dense attention with Reformer's self rule: j != i (and j <= i when causal), itself only if nothing else. */
    static INDArray denseWithSelfRule(int len, boolean causal) {
        double[][][][] m = new double[1][1][len][len];
        for (int i = 0; i < len; i++) {
            for (int j = 0; j < len; j++) {
                m[0][0][i][j] = j != i && (!causal || j <= i) ? 1 : 0;
            }
        }
        if (causal || len == 1) {
            m[0][0][0][0] = 1;
        }
        return Nd4j.createFromArray(m);
    }

    @Test
    void equalsMaskedDenseOverTheUnionOfRounds() {
        for (boolean causal : new boolean[] {true, false}) {
            check(new LshAttention(2, 4, 3, causal, 7), 11, 3, causal, DataType.DOUBLE, 1e-9, false);
            check(new LshAttention(3, 2, 4, causal, 8), 16, 4, causal, DataType.DOUBLE, 1e-9, false);
            check(new LshAttention(2, 4, 5, causal, 9), 23, 5, causal, DataType.FLOAT, 1e-5, false);
        }
    }

    /** Padding (at the end, at the start, in the middle) is never attended; padded queries output 0. */
    @Test
    void keyPaddingEqualsMaskedDense() {
        for (boolean causal : new boolean[] {true, false}) {
            check(new LshAttention(2, 4, 3, causal, 7), 14, 3, causal, DataType.DOUBLE, 1e-9, false,
                    KeyPaddingMaskTest.keyMask(B, 14));
            check(new LshAttention(3, 2, 4, causal, 8), 16, 4, causal, DataType.DOUBLE, 1e-9, false,
                    KeyPaddingMaskTest.keyMask(B, 16));
            check(new LshAttention(2, 4, 5, causal, 9), 23, 5, causal, DataType.FLOAT, 1e-5, false,
                    KeyPaddingMaskTest.keyMask(B, 23));
        }
    }

    /** Bidirectional: the first chunk also attends to the last one (Reformer's wrap-around); causal: never. */
    @Test
    void bidirectionalFirstChunkWrapsAroundToTheLast() {
        for (boolean causal : new boolean[] {false, true}) {
            LshAttention lsh = new LshAttention(1, 1, 3, causal, 1);          // one bucket: chunks in position order
            check(lsh, 9, 3, causal, DataType.DOUBLE, 1e-9, false);
            INDArray mask = unionMask(lsh.lastBuckets(), 3, causal);
            assertTrue(mask.getDouble(0, 0, 1, 7) == (causal ? 0 : 1), "query 1 (chunk 0) sees key 7 (chunk 2)");
            assertTrue(mask.getDouble(0, 0, 7, 1) == 0, "chunk 2 sees chunks 1 and 2 only");
            check(new LshAttention(2, 2, 4, causal, 3), 8, 4, causal, DataType.DOUBLE, 1e-9, false);   // 2 chunks
        }
    }

    @Test
    void oneBucketWithChunkCoveringTheSequenceIsDense() {
        for (boolean causal : new boolean[] {true, false}) {
            check(new LshAttention(1, 1, 9, causal, 1), 9, 9, causal, DataType.DOUBLE, 1e-9, true);
            check(new LshAttention(4, 1, 9, causal, 1), 9, 9, causal, DataType.DOUBLE, 1e-9, true);  // duplicates once
        }
    }

    @Test
    void bucketsAreReproducibleFromTheSeed() {
        INDArray q = Nd4j.randn(DataType.DOUBLE, B, H, 12, HD);
        INDArray[] buckets = new INDArray[3];
        long[] seeds = {5, 5, 6};
        for (int i = 0; i < 3; i++) {
            LshAttention a = new LshAttention(3, 8, 4, false, seeds[i]);
            a.forward(q, q, q, Nd4j.create(DataType.DOUBLE, B, H, 12, HD), null);
            buckets[i] = a.lastBuckets().dup();
        }
        ExactArrays.assertExactlyEqual(buckets[0], buckets[1], "same seed, same buckets");
        assertFalse(buckets[0].equals(buckets[2]), "another seed, other buckets");
        assertTrue(buckets[0].minNumber().doubleValue() >= 0 && buckets[0].maxNumber().doubleValue() <= 7);
        assertTrue(buckets[0].maxNumber().doubleValue() > buckets[0].minNumber().doubleValue(), "uses several buckets");
    }

    @Test
    void replayedChoicesFixTheBucketsOfTheNextForward() {
        INDArray q = Nd4j.randn(DataType.DOUBLE, B, H, 12, HD);
        INDArray v = Nd4j.randn(DataType.DOUBLE, B, H, 12, HD);
        LshAttention a = new LshAttention(2, 8, 4, true, 5);
        INDArray out = Nd4j.create(DataType.DOUBLE, B, H, 12, HD);
        a.forward(q, q, v, out, null);
        INDArray choices = a.choices();
        ExactArrays.assertExactlyEqual(a.lastBuckets(), choices, "choices are the buckets");

        INDArray other = Nd4j.randn(DataType.DOUBLE, B, H, 12, HD);       // would hash differently
        a.forward(other, other, v, Nd4j.create(DataType.DOUBLE, B, H, 12, HD), null);
        assertFalse(a.lastBuckets().equals(choices), "fresh input, fresh buckets");
        a.replay(choices);
        INDArray replayed = Nd4j.create(DataType.DOUBLE, B, H, 12, HD);
        a.forward(q, q, v, replayed, null);
        ExactArrays.assertExactlyEqual(out, replayed, "replaying the buckets of the same input gives the same output");
        a.replay(choices);
        a.forward(other, other, v, Nd4j.create(DataType.DOUBLE, B, H, 12, HD), null);
        ExactArrays.assertExactlyEqual(choices, a.lastBuckets(), "replayed buckets are used whatever the input");
        a.forward(other, other, v, Nd4j.create(DataType.DOUBLE, B, H, 12, HD), null);
        assertFalse(a.lastBuckets().equals(choices), "a replay lasts one forward");
    }

    @Test
    void aFirstForwardInsideAWorkspaceDoesNotStrandTheCachedRotations() {
        INDArray q = Nd4j.randn(DataType.DOUBLE, B, H, 12, HD);
        LshAttention a = new LshAttention(2, 8, 4, true, 5);
        INDArray expected = Nd4j.create(DataType.DOUBLE, B, H, 12, HD);
        new LshAttention(2, 8, 4, true, 5).forward(q, q, q, expected, null);
        WorkspaceConfiguration conf = WorkspaceConfiguration.builder().initialSize(1 << 20)
                .policyAllocation(AllocationPolicy.STRICT).policyLearning(LearningPolicy.NONE).build();
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(conf, "LSH_FIRST_FORWARD")) {
            a.forward(q, q, q, Nd4j.create(DataType.DOUBLE, B, H, 12, HD), null);   // inference, in a workspace
        }
        INDArray out = Nd4j.create(DataType.DOUBLE, B, H, 12, HD);
        a.forward(q, q, q, out, Alloc.current(DataType.DOUBLE));                   // later, outside it
        ExactArrays.assertExactlyEqual(expected, out, "same rotations after the workspace closed");
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        int len = 7;
        INDArray q = Nd4j.randn(DataType.DOUBLE, B, H, len, 2);
        INDArray v = Nd4j.randn(DataType.DOUBLE, B, H, len, 2);
        INDArray r = Nd4j.randn(DataType.DOUBLE, B, H, len, 2);
        for (boolean causal : new boolean[] {true, false}) {
            LshAttention att = new LshAttention(2, 2, 2, causal, 3);
            att.forward(q, q, v, Nd4j.create(DataType.DOUBLE, B, H, len, 2), Alloc.current(DataType.DOUBLE));
            INDArray dq = Nd4j.create(DataType.DOUBLE, B, H, len, 2);
            INDArray dv = Nd4j.create(DataType.DOUBLE, B, H, len, 2);
            att.backward(r, dq, Nd4j.create(DataType.DOUBLE, B, H, len, 2), dv);
            LshAttention probe = new LshAttention(2, 2, 2, causal, 3);
            DoubleSupplier loss = () -> {
                INDArray o = Nd4j.create(DataType.DOUBLE, B, H, len, 2);
                probe.forward(q, q, v, o, null);
                return o.mul(r).sumNumber().doubleValue();
            };
            NumericGradient.check("dQ LSH causal=" + causal, q, dq, loss);
            NumericGradient.check("dV LSH causal=" + causal, v, dv, loss);
        }
    }
}
