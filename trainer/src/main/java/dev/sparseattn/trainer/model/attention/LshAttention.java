package dev.sparseattn.trainer.model.attention;

import dev.sparseattn.trainer.model.ops.Alloc;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.shape.Gather;
import org.nd4j.linalg.factory.Broadcast;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Reformer's LSH attention (Kitaev et al. 2020, "Reformer: The Efficient Transformer", section 2): shared-QK (the
 * keys are the normalised queries, {@code k_j = q_j / |q_j|}; the layer's k input is ignored and gets gradient 0),
 * angular LSH {@code h(x) = argmax([xR; -xR])} with a random rotation {@code R} per round and head (seeded),
 * {@code nHashes} rounds of {@code nBuckets} buckets. Per round, positions are sorted by (bucket, position) and cut
 * into chunks of {@code m}; each chunk attends to itself and the previous chunk (no wrap-around), only to keys of the
 * same bucket, causally by original position when asked. A token attends to itself only when no other key is allowed
 * in any round (exactly, where Reformer approximates this with a score of -1e5). The rounds are merged exactly as one
 * softmax over the union of their pairs, a pair found in {@code N} rounds counted once (its score lowered by {@code log N}, section 2.2, eq. 6), via per-round
 * log-sum-exps. Time and memory O(nHashes * L * m) (plus O(nHashes^2 * L * m) mask work for the counts).
 *
 * <p>Sorting uses ND4J's native sort on keys {@code bucket * L + position} (which carry the permutation with them);
 * gathers use the {@code gather} op: all backend-neutral, no per-element Java loops.
 */
public final class LshAttention implements Attention {

    private static final double MASKED = BlockBandAttention.MASKED;

    private final int nHashes;
    private final int nBuckets;
    private final int chunk;
    private final boolean causal;
    private final long seed;

    private long batch;
    private long heads;
    private int len;
    private long dim;
    private int m;          // chunk length
    private int nc;         // chunks per round
    private int lp;         // nc * m
    private INDArray rotations;   // [nHashes, heads, d, nBuckets / 2]
    private INDArray buckets;     // [bh, R, L] (double)
    private INDArray perm;        // [bh, R, L] token at each sorted slot
    private INDArray inv;         // [bh, R, L] sorted slot of each token
    private INDArray qNorm;       // [bh, L, 1]
    private INDArray kn;          // [bh, L, d] normalised keys
    private INDArray qs;          // [bhr, lp, d] sorted scaled queries
    private INDArray ks;          // [bhr, m + lp, d] sorted keys, one chunk of padding in front
    private INDArray vs;          // [bhr, m + lp, d]
    private INDArray probs;       // [bhr, nc, m, 2m]  final (union-normalised) weights
    private INDArray outFlat;     // [bh * L, d]
    private INDArray replay;      // buckets the next forward uses instead of hashing, [batch, heads, nHashes, L]

    public LshAttention(int nHashes, int nBuckets, int chunk, boolean causal, long seed) {
        if (nHashes < 1 || nBuckets < 1 || (nBuckets > 1 && nBuckets % 2 != 0) || chunk < 1) {
            throw new IllegalArgumentException("need nHashes >= 1, nBuckets 1 or even, chunk >= 1");
        }
        this.nHashes = nHashes;
        this.nBuckets = nBuckets;
        this.chunk = chunk;
        this.causal = causal;
        this.seed = seed;
    }

    /** Bucket of every token in every round from the last forward, {@code [batch, heads, nHashes, L]}. */
    public INDArray lastBuckets() {
        return buckets.reshape('c', batch, heads, nHashes, len);
    }

    /** The buckets of the last forward, {@code [batch, heads, nHashes, L]}, detached from any workspace. */
    @Override
    @SuppressWarnings("try")
    public INDArray choices() {
        if (buckets == null) {
            return null;
        }
        try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
            return lastBuckets().dup('c');
        }
    }

    /** The next forward uses these buckets ({@code [batch, heads, nHashes, L]}) instead of hashing its input. */
    @Override
    public void replay(INDArray choices) {
        this.replay = choices;
    }

    @Override
    @SuppressWarnings("try")
    public void forward(INDArray q, INDArray k, INDArray v, INDArray out, Alloc keep) {
        // what backward needs must outlive DL4J's working-memory workspace of this forward: allocate it detached
        try (MemoryWorkspace ignored = keep != null ? Nd4j.getMemoryManager().scopeOutOfWorkspaces() : null) {
            forwardDetached(q, k, v, out, keep);
        }
    }

    private void forwardDetached(INDArray q, INDArray k, INDArray v, INDArray out, Alloc keep) {
        batch = q.size(0);
        heads = q.size(1);
        len = (int) q.size(2);
        dim = q.size(3);
        DataType t = q.dataType();
        long bh = batch * heads;
        long bhr = bh * nHashes;
        m = Math.min(chunk, len);
        nc = (len + m - 1) / m;
        lp = nc * m;
        double scale = 1.0 / Math.sqrt(dim);

        INDArray qc = q.dup('c').reshape('c', bh, len, dim);                              // [bh, L, d]
        qNorm = Transforms.max(qc.norm2(2).reshape(bh, len, 1), 1e-12, false);
        kn = qc.div(qNorm);                                                               // shared-QK keys
        hash(t);
        sortOrders(t);
        INDArray idx = flatIndex(perm, len, 0);                                           // [bh*R*L]
        qs = Nd4j.create(t, bhr, lp, dim);
        ks = Nd4j.create(t, bhr, m + lp, dim);
        vs = Nd4j.create(t, bhr, m + lp, dim);
        place(qs, 0, gather(qc.reshape(bh * len, dim), idx)).muli(scale);
        place(ks, m, gather(kn.reshape(bh * len, dim), idx));
        place(vs, m, gather(v.dup('c').reshape(bh * len, dim), idx));

        INDArray s = Nd4j.matmul(qs.reshape('c', bhr, nc, m, dim), band(ks), false, true, false);  // [bhr, nc, m, 2m]
        s.addi(mask(t, idx));
        INDArray lse = logSumExp(s);                                                      // [bhr, nc, m]
        // log-sum-exp over the union of the rounds, per original token
        INDArray lseTok = gatherRounds(lse.reshape(bhr * lp, 1), lp, 0).reshape(bh, nHashes, len);  // [bh, R, L]
        INDArray mx = lseTok.max(1);                                                      // [bh, L]
        INDArray tot = Transforms.log(Transforms.exp(Broadcast.sub(lseTok, mx, lseTok.ulike(), 0, 2), false)
                .sum(1), false).addi(mx);                                                  // [bh, L]
        INDArray totSorted = Nd4j.create(t, bhr, lp);
        place(totSorted.reshape(bhr, lp, 1), 0, gather(tot.reshape(bh * len, 1), idx));
        Broadcast.sub(s, totSorted.reshape('c', bhr, nc, m), s, 0, 1, 2);
        probs = Transforms.exp(s, false);                                                 // union-normalised weights
        INDArray os = Nd4j.matmul(probs, band(vs), false, false, false);                  // [bhr, nc, m, d]
        outFlat = gatherRounds(os.reshape(bhr * lp, dim), lp, 0).reshape(bh, nHashes, len, dim).sum(1)
                .reshape(bh * len, dim);
        out.assign(outFlat.reshape('c', batch, heads, len, dim));
        if (keep == null) {
            clear();
        }
    }

    @Override
    public void backward(INDArray dOut, INDArray dq, INDArray dk, INDArray dv) {
        if (probs == null) {
            throw new IllegalStateException("backward needs a preceding forward that kept its state");
        }
        DataType t = dOut.dataType();
        long bh = batch * heads;
        long bhr = bh * nHashes;
        INDArray idx = flatIndex(perm, len, 0);
        INDArray dos = Nd4j.create(t, bhr, lp, dim);
        INDArray os = Nd4j.create(t, bhr, lp, dim);
        place(dos, 0, gather(dOut.dup('c').reshape(bh * len, dim), idx));
        place(os, 0, gather(outFlat, idx));
        INDArray rowDot = dos.mul(os).sum(2).reshape('c', bhr, nc, m);                   // rowsum(dO * O)
        INDArray dob = dos.reshape('c', bhr, nc, m, dim);
        INDArray dvBand = Nd4j.matmul(probs, dob, true, false, false);                    // [bhr, nc, 2m, d]
        INDArray ds = Nd4j.matmul(dob, band(vs), false, true, false);                     // dP
        Broadcast.sub(ds, rowDot, ds, 0, 1, 2);
        ds.muli(probs);                                                                   // dS
        INDArray dqs = Nd4j.matmul(ds, band(ks), false, false, false);                    // [bhr, nc, m, d]
        INDArray dkBand = Nd4j.matmul(ds, qs.reshape('c', bhr, nc, m, dim), true, false, false);
        double scale = 1.0 / Math.sqrt(dim);
        INDArray dqTok = gatherRounds(dqs.reshape(bhr * lp, dim), lp, 0).reshape(bh, nHashes, len, dim).sum(1)
                .muli(scale);                                                             // [bh, L, d]
        INDArray dkn = gatherRounds(fold(dkBand, t).reshape(bhr * (m + lp), dim), m + lp, m)
                .reshape(bh, nHashes, len, dim).sum(1);                                   // [bh, L, d]
        INDArray dvTok = gatherRounds(fold(dvBand, t).reshape(bhr * (m + lp), dim), m + lp, m)
                .reshape(bh, nHashes, len, dim).sum(1);
        // k = q / |q|:  dq += (dk - k (k . dk)) / |q|
        INDArray along = dkn.mul(kn).sum(2).reshape(bh, len, 1);
        dqTok.addi(dkn.sub(kn.mul(along)).divi(qNorm));
        dq.assign(dqTok.reshape('c', batch, heads, len, dim));
        dk.assign(0);
        dv.assign(dvTok.reshape('c', batch, heads, len, dim));
    }

    @Override
    public void clear() {
        qs = null;
        ks = null;
        vs = null;
        probs = null;
        outFlat = null;
    }

    /** Angular LSH of the normalised keys: buckets {@code [bh, R, L]}. */
    private void hash(DataType t) {
        long bh = batch * heads;
        if (replay != null) {
            if (replay.length() != bh * nHashes * len) {
                throw new IllegalArgumentException("replayed buckets " + java.util.Arrays.toString(replay.shape())
                        + " do not fit [" + batch + ", " + heads + ", " + nHashes + ", " + len + "]");
            }
            buckets = replay.castTo(t).dup('c').reshape('c', bh, nHashes, len);
            replay = null;
            return;
        }
        buckets = Nd4j.zeros(t, bh, nHashes, len);
        if (nBuckets == 1) {
            return;
        }
        int half = nBuckets / 2;
        if (rotations == null || rotations.size(1) != heads || rotations.size(2) != dim
                || rotations.dataType() != t) {
            Random rnd = new Random(seed);
            double[] r = new double[(int) (nHashes * heads * dim * half)];
            for (int i = 0; i < r.length; i++) {
                r[i] = rnd.nextGaussian();
            }
            rotations = Nd4j.createFromArray(r).castTo(t).reshape(nHashes, heads, dim, half);
        }
        INDArray k4 = kn.reshape('c', batch, heads, len, dim);
        for (int round = 0; round < nHashes; round++) {                                  // few rounds
            INDArray rot = rotations.get(NDArrayIndex.point(round), NDArrayIndex.all(), NDArrayIndex.all(),
                    NDArrayIndex.all()).reshape(1, heads, dim, half).broadcast(batch, heads, dim, half);
            INDArray proj = Nd4j.matmul(k4, rot, false, false, false);                  // [b, h, L, half]
            INDArray both = Nd4j.concat(3, proj, proj.neg());                             // [b, h, L, nBuckets]
            buckets.get(NDArrayIndex.all(), NDArrayIndex.point(round), NDArrayIndex.all())
                    .assign(Nd4j.argMax(both, 3).castTo(t).reshape(bh, len));
        }
    }

    /** perm and inv from a native sort of {@code bucket * L + position} (unique keys). */
    private void sortOrders(DataType t) {
        long bh = batch * heads;
        INDArray pos = Nd4j.arange(0, len).castTo(DataType.DOUBLE).reshape(1, 1, len);
        INDArray key = buckets.castTo(DataType.DOUBLE).mul(len).addi(pos);              // [bh, R, L]
        Nd4j.sort(key, 2, true);
        perm = key.fmod(len);                                                             // token at each slot
        INDArray back = perm.mul(len).addi(pos);
        Nd4j.sort(back, 2, true);
        inv = back.fmod(len);                                                             // slot of each token
    }

    /** Flat row indices {@code (bh * R + r) * stride + offset + order[bh, r, x]} into a {@code [bh*R*stride, ..]} array. */
    private INDArray flatRoundIndex(INDArray order, long stride, long offset) {
        long bh = batch * heads;
        INDArray base = Nd4j.arange(0, bh * nHashes).castTo(DataType.DOUBLE).muli(stride).addi(offset)
                .reshape(bh, nHashes, 1);
        return order.add(base).reshape(bh * nHashes * len).castTo(DataType.LONG);
    }

    /** Flat row indices {@code bh * stride + offset + order[bh, r, x]} into a {@code [bh*stride, ..]} array. */
    private INDArray flatIndex(INDArray order, long stride, long offset) {
        long bh = batch * heads;
        INDArray base = Nd4j.arange(0, bh).castTo(DataType.DOUBLE).muli(stride).addi(offset).reshape(bh, 1, 1);
        return order.add(base).reshape(bh * nHashes * len).castTo(DataType.LONG);
    }

    /** Per round, the sorted rows back in token order: {@code [bh*R*L, d]} from {@code [bh*R*stride, d]}. */
    private INDArray gatherRounds(INDArray sorted, long stride, long offset) {
        return gather(sorted, flatRoundIndex(inv, stride, offset));
    }

    private static INDArray gather(INDArray src, INDArray idx) {
        return Nd4j.exec(new Gather(src, idx, 0))[0];
    }

    /** Writes {@code [bhr*L, d]} rows into positions {@code from .. from+L} of a {@code [bhr, P, d]} array. */
    private INDArray place(INDArray target, int from, INDArray rows) {
        long bhr = batch * heads * nHashes;
        INDArray view = target.get(NDArrayIndex.all(), NDArrayIndex.interval(from, from + len), NDArrayIndex.all());
        view.assign(rows.reshape('c', bhr, len, target.size(2)));
        return view;
    }

    /** Each chunk's keys, its previous chunk and itself: {@code [bhr, nc, 2m, d]} view of {@code [bhr, m + lp, d]}. */
    private INDArray band(INDArray padded) {
        long w = padded.size(2);
        return Nd4j.create(padded.data(), new long[] {padded.size(0), nc, 2L * m, w},
                new long[] {(long) (m + lp) * w, (long) m * w, w, 1}, padded.offset(), 'c');
    }

    /** Sums the gradients of the overlapping chunk pairs {@code [bhr, nc, 2m, d]} into {@code [bhr, m + lp, d]}. */
    private INDArray fold(INDArray g, DataType t) {
        long bhr = batch * heads * nHashes;
        INDArray out = Nd4j.create(t, bhr, m + lp, dim);
        INDArray blocks = out.reshape('c', bhr, nc + 1, m, dim);
        INDArray g5 = g.reshape('c', bhr, nc, 2, m, dim);
        for (int s = 0; s < 2; s++) {
            blocks.get(NDArrayIndex.all(), NDArrayIndex.interval(s, s + nc), NDArrayIndex.all(), NDArrayIndex.all())
                    .addi(g5.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(s), NDArrayIndex.all(),
                            NDArrayIndex.all()));
        }
        return out;
    }

    /** Row-wise log-sum-exp of {@code [.., keys]} (the scores are masked, never all -inf). */
    private static INDArray logSumExp(INDArray s) {
        INDArray mx = s.max(3);
        INDArray e = Broadcast.sub(s, mx, s.ulike(), 0, 1, 2);
        return Transforms.log(Transforms.exp(e, false).sum(3), false).addi(mx);
    }

    /**
     * Additive mask {@code [bhr, nc, m, 2m]}: 0 for a key of the same bucket (earlier when causal; itself only when
     * the token has no other key in any round), else -1e9; minus the log of the number of rounds the pair meets in.
     */
    private INDArray mask(DataType t, INDArray idx) {
        long bh = batch * heads;
        long bhr = bh * nHashes;
        // few big [bhr, nc, m, 2m] arrays, updated in place: allocation dominates ND4J's cost here
        INDArray pos = Nd4j.arange(0, len).castTo(t).reshape(1, len).broadcast(bh, len).dup('c');
        INDArray posRows = gather(pos.reshape(bh * len, 1), idx);
        INDArray self = pairs(null, sortedKey(posRows, t, -1e6), sortedQuery(posRows, t, -3e6), t);  // j - i
        INDArray allowed = causal ? nonPositive(self.dup()) : null;                       // j <= i
        isZero(self);                                                                     // j == i
        // the pair's own round: same bucket (padding never matches)
        INDArray own = gather(buckets.reshape(bh * nHashes * len, 1), flatRoundIndex(perm, len, 0));
        INDArray same = isZero(pairs(null, sortedKey(own, t, -1), sortedQuery(own, t, -3), t));
        allowed = allowed == null ? same.dup() : allowed.muli(same);
        // rounds in which each pair meets: same bucket and chunk(q) - chunk(k) in {0, 1}, encoded as one difference
        INDArray count = Nd4j.zeros(t, bhr, nc, m, 2L * m);
        INDArray work = same;                                                             // reused
        double stride = 2.0 * nc + 4;
        for (int r = 0; r < nHashes; r++) {                                               // few rounds
            INDArray bk = buckets.get(NDArrayIndex.all(), NDArrayIndex.point(r), NDArrayIndex.all()).dup('c');
            INDArray ch = Transforms.floor(inv.get(NDArrayIndex.all(), NDArrayIndex.point(r), NDArrayIndex.all())
                    .dup('c').castTo(t).divi(m), false);                                  // chunk of each token
            INDArray code = gather(bk.muli(stride).addi(ch).reshape(bh * len, 1), idx);   // bucket * stride + chunk
            pairs(work, sortedKey(code, t, -1e7), sortedQuery(code, t, -3e7), t);         // code(k) - code(q)
            // code(q) - code(k) in {0, 1}  <=>  |code(k) - code(q) + 0.5| < 0.6
            Transforms.step(Transforms.abs(work.addi(0.5), false).rsubi(0.6), false);
            count.addi(work);
        }
        self.muli(allowed);
        INDArray other = allowed.subi(self);                                              // allowed, not itself
        // does the token have another key in any round? (then it does not attend to itself)
        INDArray perRound = gatherRounds(other.sum(3).reshape(bhr * lp, 1), lp, 0).reshape(bh, nHashes, len);
        INDArray hasOther = perRound.sum(1).gt(0).castTo(t);                              // [bh, L]
        INDArray hasOtherSorted = sortedQuery(gather(hasOther.reshape(bh * len, 1), idx), t, 1);  // [bhr, nc, m]
        Broadcast.mul(self, hasOtherSorted.rsub(1.0), self, 0, 1, 2);
        INDArray keep = other.addi(self);
        INDArray logN = Transforms.log(Transforms.max(count, 1.0, false), false).muli(keep);
        // allowed: -log N (a pair met in N rounds counts once); otherwise MASKED
        return keep.rsubi(1.0).muli(MASKED).subi(logN);
    }

    /** In place: 1 where the value is 0 (values are integers), else 0. */
    private static INDArray isZero(INDArray a) {
        return Transforms.step(Transforms.abs(a, false).rsubi(0.5), false);
    }

    /** In place: 1 where the value is <= 0 (values are integers), else 0. */
    private static INDArray nonPositive(INDArray a) {
        return Transforms.step(a.rsubi(0.5), false);
    }

    /** Sorted per-token values {@code [bhr*L, 1]} as query chunks {@code [bhr, nc, m]}, padding {@code pad}. */
    private INDArray sortedQuery(INDArray rows, DataType t, double pad) {
        long bhr = batch * heads * nHashes;
        INDArray a = Nd4j.valueArrayOf(new long[] {bhr, lp}, pad, t);
        a.get(NDArrayIndex.all(), NDArrayIndex.interval(0, len)).assign(rows.reshape('c', bhr, len));
        return a.reshape('c', bhr, nc, m);
    }

    /** Sorted per-token values as key bands {@code [bhr, nc, 2m]}, one chunk of padding in front. */
    private INDArray sortedKey(INDArray rows, DataType t, double pad) {
        long bhr = batch * heads * nHashes;
        INDArray a = Nd4j.valueArrayOf(new long[] {bhr, m + lp}, pad, t);
        a.get(NDArrayIndex.all(), NDArrayIndex.interval(m, m + len)).assign(rows.reshape('c', bhr, len));
        return Nd4j.create(a.data(), new long[] {bhr, nc, 2L * m}, new long[] {m + lp, m, 1}, a.offset(), 'c');
    }

    /** {@code key[.., j] - query[.., i]} as {@code [bhr, nc, m, 2m]}, into {@code out} (null: a new array). */
    private INDArray pairs(INDArray out, INDArray key, INDArray query, DataType t) {
        long bhr = batch * heads * nHashes;
        INDArray o = out != null ? out.assign(0) : Nd4j.zeros(t, bhr, nc, m, 2L * m);
        Broadcast.add(o, key, o, 0, 1, 3);
        Broadcast.sub(o, query, o, 0, 1, 2);
        return o;
    }
}
