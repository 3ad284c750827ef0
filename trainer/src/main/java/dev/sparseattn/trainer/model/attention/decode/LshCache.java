package dev.sparseattn.trainer.model.attention.decode;

import java.util.Arrays;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Decode cache of Reformer's causal LSH attention (Kitaev et al. 2020, "Reformer: The Efficient Transformer",
 * section 2; the kernel is {@link dev.sparseattn.trainer.model.attention.LshAttention}): shared-QK keys
 * {@code k_j = q_j / |q_j|} (the layer's k input is ignored), hashed with the kernel's seeded rotations
 * ({@code h(x) = argmax([xR; -xR])}, {@code R} drawn exactly as the kernel draws it), each stored with its bucket per
 * round.
 *
 * <p><b>Semantics.</b> The kernel sorts a round's tokens by (bucket, position) and lets each chunk of {@code m} sorted
 * slots read its own and the previous chunk. A token's slot counts every token of a lower bucket, later ones
 * included, so in a full forward over {@code L} tokens the output at {@code t < L - 1} can depend on tokens after
 * {@code t} (they move the chunk boundaries: which earlier keys it reads, never their values). No left-to-right
 * decode can reproduce that. This cache's step at position {@code t} therefore equals the kernel's full causal
 * forward over the prefix {@code 0 .. t}, at its last position (the one place where that forward is itself
 * causal): per round, with {@code start} the number of earlier real tokens in lower buckets, {@code n} those in the
 * query's bucket {@code beta} (itself included), its slot is {@code s = start + n - 1} and it reads the tokens of
 * bucket {@code beta} at slots {@code max(start, (floor(s / m) - 1) m) .. s - 1}, i.e. the last
 * {@code s - max(start, ..)} earlier tokens of its bucket; the union over rounds counts a key once (eq. 6 of the
 * paper, as the kernel does); itself only when it has no other key in any round; padding (key mask 0) is never read
 * and a padded query outputs 0. The tests check this against the kernel run on every prefix, and show a case where
 * the full forward over the longer sequence differs. A model-level engine must therefore compute a prompt's LSH
 * layers causally (step by step, or a prefix-consistent variant of the kernel) for decode-exact log-probabilities.
 *
 * <p>Every key is kept (slot = position): memory grows with the context, although a later query of bucket
 * {@code beta} reads only the last {@code < 2m} tokens of that bucket. Buckets are computed in double from
 * rotations rounded to the model's type; a float32 model's own float hashing can differ on a near tie (rare).
 */
public final class LshCache extends DecodeCache {

    private final int nHashes;
    private final int nBuckets;
    private final int chunk;
    private final double[] rotations;       // [nHashes, heads, dim, nBuckets / 2], as the kernel lays them out
    private final int[][] counts;           // [(b * heads + h) * nHashes + r][bucket]: real tokens so far
    private final int[][][] members;        // same index, [bucket][k]: positions of the bucket's real tokens
    private final int[][] stampArrays;      // per (b, h): per position, the step that last collected it
    private final int[][] bucketOf;         // per (b, h, r): bucket of each position (-1: padding)
    private int stampNow;
    private final double[] keyBuf;
    private final double[] proj;            // one round's projections, reused

    /**
     * @param type the model's data type (the rotations are rounded to it, as the kernel casts them; keys and values
     *             are stored in it)
     */
    public LshCache(int batch, int heads, int dim, int nHashes, int nBuckets, int chunk, long seed, DataType type,
                    int capacity) {
        super(batch, heads, dim, capacity, true, type);
        if (nHashes < 1 || nBuckets < 1 || (nBuckets > 1 && nBuckets % 2 != 0) || chunk < 1) {
            throw new IllegalArgumentException("need nHashes >= 1, nBuckets 1 or even, chunk >= 1");
        }
        this.nHashes = nHashes;
        this.nBuckets = nBuckets;
        this.chunk = chunk;
        int half = nBuckets / 2;
        rotations = new double[nHashes * heads * dim * half];
        if (nBuckets > 1) {
            Random rnd = new Random(seed);            // LshAttention.hash: same generator, same order
            for (int x = 0; x < rotations.length; x++) {
                double g = rnd.nextGaussian();
                rotations[x] = type == DataType.DOUBLE ? g : (double) (float) g;
            }
        }
        counts = new int[batch * heads * nHashes][nBuckets];
        members = new int[batch * heads * nHashes][nBuckets][];
        for (int x = 0; x < members.length; x++) {
            for (int u = 0; u < nBuckets; u++) {
                members[x][u] = new int[16];
            }
        }
        keyBuf = new double[dim];
        proj = new double[Math.max(1, nBuckets / 2)];
        stampArrays = new int[batch * heads][];
        bucketOf = new int[batch * heads * nHashes][];
        for (int x = 0; x < bucketOf.length; x++) {
            bucketOf[x] = new int[Math.max(16, capacity)];
        }
    }

    @Override
    protected boolean needsQueries() {
        return true;
    }

    @Override
    protected int slot(int b, int h, int p) {
        return p;
    }

    @Override
    protected void resetRow(int b) {
        for (int h = 0; h < heads; h++) {
            for (int r = 0; r < nHashes; r++) {
                int x = (b * heads + h) * nHashes + r;
                Arrays.fill(counts[x], 0);
            }
        }
    }

    /** Stores the normalised query as the key, hashes it in every round and files it under its buckets. */
    @Override
    protected void append(int b, int h, int p, double[] q, int qOff, double[] k, int kOff, double[] v, int vOff,
                          boolean real) {
        double norm = 0;
        for (int d = 0; d < dim; d++) {
            norm += q[qOff + d] * q[qOff + d];
        }
        norm = Math.max(Math.sqrt(norm), 1e-12);
        for (int d = 0; d < dim; d++) {
            keyBuf[d] = q[qOff + d] / norm;
        }
        store.put(b, h, p, keyBuf, 0, v, vOff, real);
        for (int r = 0; r < nHashes; r++) {
            int x = (b * heads + h) * nHashes + r;
            if (bucketOf[x].length <= p) {
                bucketOf[x] = Arrays.copyOf(bucketOf[x], Math.max(p + 1, 2 * bucketOf[x].length));
            }
            if (!real) {
                bucketOf[x][p] = -1;
                continue;
            }
            int u = bucket(h, r, keyBuf);
            bucketOf[x][p] = u;
            if (counts[x][u] == members[x][u].length) {
                members[x][u] = Arrays.copyOf(members[x][u], 2 * counts[x][u]);
            }
            members[x][u][counts[x][u]++] = p;
        }
    }

    /** {@code argmax([xR; -xR])} of round {@code r}, head {@code h} (first index of the maximum, as ND4J's argMax). */
    private int bucket(int h, int r, double[] x) {
        if (nBuckets == 1) {
            return 0;
        }
        int half = nBuckets / 2;
        int base = (r * heads + h) * dim * half;
        double best = Double.NEGATIVE_INFINITY;
        int arg = 0;
        java.util.Arrays.fill(proj, 0);
        for (int d = 0; d < dim; d++) {
            double xd = x[d];
            int o = base + d * half;
            for (int c = 0; c < half; c++) {
                proj[c] += xd * rotations[o + c];
            }
        }
        for (int c = 0; c < nBuckets; c++) {
            double val = c < half ? proj[c] : -proj[c - half];
            if (val > best) {
                best = val;
                arg = c;
            }
        }
        return arg;
    }

    @Override
    protected void collect(int b, int h, int i, Slots out) {
        int bh = b * heads + h;
        if (bucketOf[bh * nHashes][i] < 0) {
            return;                                           // a padded query reads nothing
        }
        int[] seen = stampArrays[bh];
        if (seen == null || seen.length <= i) {
            seen = Arrays.copyOf(seen == null ? new int[0] : seen, Math.max(i + 1, 2 * (seen == null ? 8 : seen.length)));
            stampArrays[bh] = seen;
        }
        stampNow++;
        for (int r = 0; r < nHashes; r++) {
            int x = bh * nHashes + r;
            int u = bucketOf[x][i];
            int start = 0;
            for (int w = 0; w < u; w++) {
                start += counts[x][w];
            }
            int n = counts[x][u];                             // i is the last of its bucket
            int s = start + n - 1;
            int lo = Math.max(start, (s / chunk - 1) * chunk);
            int[] list = members[x][u];
            for (int idx = lo - start; idx < n - 1; idx++) {
                int j = list[idx];
                if (seen[j] != stampNow) {
                    seen[j] = stampNow;
                    out.add(j);
                }
            }
        }
        if (out.n == 0) {
            out.add(i);                                       // no other key in any round: itself
        }
    }
}
