package dev.sparseattn.trainer.model.attention;

import dev.sparseattn.trainer.model.ops.Alloc;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.shape.Gather;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.SubOp;
import org.nd4j.linalg.factory.Broadcast;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Reformer's LSH attention (Kitaev et al. 2020, "Reformer: The Efficient Transformer", section 2): shared-QK (the
 * keys are the normalised queries, {@code k_j = q_j / |q_j|}; the layer's k input is ignored and gets gradient 0),
 * angular LSH {@code h(x) = argmax([xR; -xR])} with a random rotation {@code R} per round and head, drawn per layer
 * and training step from the seed ({@link #setDraw}, {@link #drawSeed}),
 * {@code nHashes} rounds of {@code nBuckets} buckets. Per round, positions are sorted by (bucket, position) and cut
 * into chunks of {@code m}; each chunk attends to itself and the previous chunk (bidirectional: the first chunk's
 * previous chunk is the last one, Reformer's wrap-around; causal: none, as the last chunk's keys of the first chunk's
 * buckets all come later), only to keys of the same bucket, causally by original position when asked. A token attends to itself only when no other key is allowed
 * in any round (exactly, where Reformer approximates this with a score of -1e5). The rounds are merged exactly as one
 * softmax over the union of their pairs, a pair found in {@code N} rounds counted once (its score lowered by {@code log N}, section 2.2, eq. 6), via per-round
 * log-sum-exps. Time and memory O(nHashes * L * m) (plus O(nHashes^2 * L * m) mask work for the counts, done a few
 * slices at a time in two scratch buffers; the only score-sized array is P, which backward turns into dS in place).
 * Key padding: padded tokens get a bucket of their own and are never attended ({@link #setKeyMask}). Documents of
 * packed rows ({@link #setSegments}) are part of the bucket: no pair of different documents ever meets.
 *
 * <p>Sorting uses ND4J's native sort on keys {@code bucket * L + position} (which carry the permutation with them);
 * gathers use the {@code gather} op: all backend-neutral, no per-element Java loops.
 */
public final class LshAttention extends DetachedAttention {

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
    private boolean wrap;   // bidirectional: the first chunk's previous chunk is the last one (Reformer's roll)
    private INDArray rotations;   // [nHashes, heads, d, nBuckets / 2]
    private long rotationSeed;    // the draw seed of rotations
    private int layer;            // the draw of the following forwards: layer and training step (< 0: inference)
    private long step = -1;
    private INDArray buckets;     // [bh, R, L] (double)
    private INDArray perm;        // [bh, R, L] token at each sorted slot
    private INDArray inv;         // [bh, R, L] sorted slot of each token
    private INDArray qNorm;       // [bh, L, 1]
    private INDArray kn;          // [bh, L, d] normalised keys
    private INDArray qs;          // [bhr, lp, d] sorted scaled queries
    private INDArray ks;          // [bhr, m + lp, d] sorted keys, one chunk of padding in front
    private INDArray vs;          // [bhr, m + lp, d]
    private INDArray probs;       // [bhr, nc, m, 2m]  final (union-normalised) weights
    private INDArray out;         // the caller's output [batch, heads, L, d], kept by reference for backward
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
    protected void forwardDetached(INDArray q, INDArray k, INDArray v, INDArray out, Alloc keep) {
        clear();
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
        wrap = !causal && nc >= 2;
        double scale = 1.0 / Math.sqrt(dim);
        if (keyMask != null && keyMask.size(0) != batch) {
            throw new IllegalArgumentException("key mask of " + keyMask.size(0) + " rows for a batch of " + batch);
        }

        INDArray qd = q.dup('c');               // closing a reshape frees nothing: keep the owner to release
        INDArray qc = qd.reshape('c', bh, len, dim);                                      // [bh, L, d]
        qNorm = Transforms.max(qc.norm2(2).reshape(bh, len, 1), 1e-12, false);
        kn = qc.div(qNorm);                                                               // shared-QK keys
        hash(t);
        sortOrders(t);
        INDArray idx = flatIndex(perm, len, 0);                                           // [bh*R*L]
        qs = Nd4j.create(t, bhr, lp, dim);
        ks = Nd4j.create(t, bhr, m + lp, dim);
        vs = Nd4j.create(t, bhr, m + lp, dim);
        placeGathered(qs, 0, qc.reshape(bh * len, dim), idx).muli(scale);
        Views.release(qd);
        placeGathered(ks, m, kn.reshape(bh * len, dim), idx);
        INDArray vc = v.dup('c');
        placeGathered(vs, m, vc.reshape(bh * len, dim), idx);
        Views.release(vc);
        wrapFront(ks);
        wrapFront(vs);

        INDArray s = Nd4j.matmul(qs.reshape('c', bhr, nc, m, dim), band(ks), false, true, false);  // [bhr, nc, m, 2m]
        addMask(s, t, idx);
        // one softmax over the union of the rounds, per original token, in place: exp(s - max) first ...
        INDArray mx = s.max(3);                                                           // [bhr, nc, m]
        INDArray rowOk = mx.gt(MASKED / 2).castTo(t);          // 0: a padded query, no key at all -> output 0
        Views.flatRows(s).subiColumnVector(Views.column(mx));
        Transforms.exp(s, false);
        INDArray rowSum = s.sum(3);
        INDArray lse = Transforms.log(rowSum, false).addi(mx);                            // per round [bhr, nc, m]
        INDArray lseTok = gatherRounds(lse.reshape(bhr * lp, 1), lp, 0).reshape(bh, nHashes, len);  // [bh, R, L]
        INDArray tmx = lseTok.max(1);                                                     // [bh, L]
        INDArray tot = Transforms.log(Transforms.exp(Broadcast.sub(lseTok, tmx, lseTok, 0, 2), false)
                .sum(1), false).addi(tmx);                                                // [bh, L]
        INDArray totSorted = Nd4j.create(t, bhr, lp);
        placeGathered(totSorted.reshape(bhr, lp, 1), 0, tot.reshape(bh * len, 1), idx);
        // ... then times exp(max - total): P = exp(s - total), the union-normalised weights
        INDArray factor = Transforms.exp(mx.subi(totSorted.reshape('c', bhr, nc, m)), false).muli(rowOk);
        Views.flatRows(s).muliColumnVector(Views.column(factor));
        probs = s;
        Views.release(rowSum, lse, lseTok, tmx, tot, totSorted, factor, rowOk, idx);
        INDArray os = Nd4j.matmul(probs, band(vs), false, false, false);                  // [bhr, nc, m, d]
        INDArray osTok = gatherRounds(os.reshape(bhr * lp, dim), lp, 0);
        INDArray summed = osTok.reshape(bh, nHashes, len, dim).sum(1);                  // [bh, L, d]
        Views.release(os, osTok);
        out.assign(summed.reshape('c', batch, heads, len, dim));
        Views.release(summed);
        this.out = out;
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
        INDArray dOutC = dOut.dup('c');
        INDArray dos = Nd4j.create(t, bhr, lp, dim);
        placeGathered(dos, 0, dOutC.reshape(bh * len, dim), idx);
        Views.release(dOutC);
        // rowsum(dO * O) of a token is that of its merged output, the same in every round
        INDArray prod = dOut.mul(out);
        INDArray rowDotTok = prod.sum(3).reshape(bh * len, 1);
        INDArray rowDot = Nd4j.create(t, bhr, lp);
        placeGathered(rowDot.reshape(bhr, lp, 1), 0, rowDotTok, idx);
        Views.release(prod, rowDotTok);
        INDArray dob = dos.reshape('c', bhr, nc, m, dim);
        INDArray dvFolded = foldProducts(probs, dob, t);                                  // P^T dO  [bhr, m + lp, d]
        scoreGradients(dob, rowDot.reshape('c', bhr, nc, m));                             // probs := dS
        INDArray ds = probs;
        probs = null;
        Views.release(dos, rowDot, vs);               // each sorted array is freed once used for the last time
        vs = null;
        INDArray dqs = Nd4j.matmul(ds, band(ks), false, false, false);                    // [bhr, nc, m, d]
        Views.release(ks);
        ks = null;
        INDArray dkFolded = foldProducts(ds, qs.reshape('c', bhr, nc, m, dim), t);        // dS^T Q
        Views.release(ds, qs);
        qs = null;
        double scale = 1.0 / Math.sqrt(dim);
        INDArray dqTok = sumRounds(gatherRounds(dqs.reshape(bhr * lp, dim), lp, 0)).muli(scale);   // [bh, L, d]
        Views.release(dqs);
        INDArray dkn = sumRounds(gatherRounds(dkFolded.reshape(bhr * (m + lp), dim), m + lp, m));
        INDArray dvTok = sumRounds(gatherRounds(dvFolded.reshape(bhr * (m + lp), dim), m + lp, m));
        Views.release(idx, dkFolded, dvFolded);
        // k = q / |q|:  dq += (dk - k (k . dk)) / |q|
        INDArray along = dkn.mul(kn).sum(2).reshape(bh, len, 1);
        INDArray kAlong = kn.mul(along);
        dqTok.addi(dkn.subi(kAlong).divi(qNorm));
        dq.assign(dqTok.reshape('c', batch, heads, len, dim));
        dk.assign(0);
        dv.assign(dvTok.reshape('c', batch, heads, len, dim));
        Views.release(along, kAlong, dkn, dqTok, dvTok);
    }

    /** {@code P := P * (dO V^T - rowDot)} a few (batch, head, round) slices at a time. */
    private void scoreGradients(INDArray dob, INDArray rowDot) {
        long bhr = batch * heads * nHashes;
        long perSlice = (long) nc * m * 2L * m;
        long step = Math.max(1, Math.min(bhr, Views.chunkElements / perSlice));
        INDArray scratch = Scratch.get(Scratch.Slot.SCORES, probs.dataType(), step * perSlice);
        INDArray vb = band(vs);
        for (long a = 0; a < bhr; a += step) {
            long n = Math.min(step, bhr - a);
            INDArray tmp = Views.prefix(scratch, n, nc, m, 2L * m);
            Nd4j.matmul(Views.range0(dob, a, n), Views.range0(vb, a, n), tmp, false, true, false);
            Views.flatRows(tmp).subiColumnVector(Views.column(Views.range0(rowDot, a, n)));
            Views.range0(probs, a, n).muli(tmp);
        }
    }

    /** {@code [bh*R*L, d]} rows of every round in token order, summed over the rounds: {@code [bh, L, d]}. */
    private INDArray sumRounds(INDArray perRound) {
        INDArray sum = perRound.reshape('c', batch * heads, nHashes, len, dim).sum(1);
        Views.release(perRound);
        return sum;
    }

    @Override
    public void clear() {
        Views.release(qs, ks, vs, probs);
        qs = null;
        ks = null;
        vs = null;
        probs = null;
        out = null;
    }

    /**
     * Key padding ({@code [batch, L]}, 1 = real): padded tokens are hashed to a bucket of their own
     * ({@code nBuckets}), so real tokens never share a bucket (or a chunk's room) with them, and they are masked as
     * keys; a padded query therefore has no key and outputs 0.
     */
    @Override
    public void setKeyMask(INDArray mask) {
        super.setKeyMask(mask);
    }

    /**
     * Rotations of layer {@code layer} at training step {@code step} (Reformer draws them afresh at every step;
     * here also per layer): {@code new Random(drawSeed(...))} gives them, {@code nextGaussian} in
     * {@code [nHashes, heads, d, nBuckets / 2]} order. Inference ({@code step < 0}) uses step 0's, fixed; layer 0 at
     * step 0 is {@code seed} itself (the rotations before draws existed). Incremental decoding must hash layer
     * {@code i} with {@code drawSeed(seed, i, -1)}.
     */
    public static long drawSeed(long seed, int layer, long step) {
        long z = layer * 0x9E3779B97F4A7C15L + Math.max(step, 0) * 0xC2B2AE3D27D4EB4FL;
        z = (z ^ (z >>> 33)) * 0xFF51AFD7ED558CCDL;                    // MurmurHash3's fmix64: 0 stays 0
        z = (z ^ (z >>> 33)) * 0xC4CEB9FE1A85EC53L;
        return seed ^ (z ^ (z >>> 33));
    }

    @Override
    public void setDraw(int layer, long step) {
        this.layer = layer;
        this.step = step;
    }

    /** The rotations of the last forward, {@code [nHashes, heads, d, nBuckets / 2]} (null before, or one bucket). */
    public INDArray rotations() {
        return rotations;
    }

    /** Angular LSH of the normalised keys: buckets {@code [bh, R, L]}. */
    @SuppressWarnings("try")
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
            padBucket(t);
            foldDocuments(t);
            return;
        }
        int half = nBuckets / 2;
        long drawSeed = drawSeed(seed, layer, step);
        if (rotations == null || rotations.size(1) != heads || rotations.size(2) != dim
                || rotations.dataType() != t || rotationSeed != drawSeed) {
            Views.release(rotations);
            rotationSeed = drawSeed;
            Random rnd = new Random(drawSeed);
            double[] r = new double[(int) (nHashes * heads * dim * half)];
            for (int i = 0; i < r.length; i++) {
                r[i] = rnd.nextGaussian();
            }
            // cached across forwards, so never in the workspace of the forward that happens to create it
            try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
                rotations = Nd4j.createFromArray(r).castTo(t).reshape(nHashes, heads, dim, half);
            }
        }
        INDArray k4 = kn.reshape('c', batch, heads, len, dim);
        for (int round = 0; round < nHashes; round++) {                                  // few rounds
            INDArray rot = rotations.get(NDArrayIndex.point(round), NDArrayIndex.all(), NDArrayIndex.all(),
                    NDArrayIndex.all()).reshape(1, heads, dim, half).broadcast(batch, heads, dim, half);
            INDArray proj = Nd4j.matmul(k4, rot, false, false, false);                  // [b, h, L, half]
            INDArray both = Nd4j.concat(3, proj, proj.neg());                             // [b, h, L, nBuckets]
            buckets.get(NDArrayIndex.all(), NDArrayIndex.point(round), NDArrayIndex.all())
                    .assign(Nd4j.argMax(both, 3).castTo(t).reshape(bh, len));
            Views.release(rot, proj, both);
        }
        padBucket(t);
        foldDocuments(t);
    }

    /**
     * Document mask ({@link #setSegments}): the document is part of the bucket, {@code bucket + (nBuckets + 1) *
     * rank} with {@code rank} the document's number within its row, so tokens of different documents never share a
     * bucket: sorting groups each bucket of each document, chunks attend only within a document, and a token alone
     * in its (document's) bucket attends to itself. {@link #lastBuckets} and the replayed choices carry the combined
     * buckets. Bucket codes stay exact integers in float while {@code (nBuckets + 1) * documents * (2 L / m + 4)}
     * is below 2^24.
     */
    private void foldDocuments(DataType t) {
        if (segments == null) {
            return;
        }
        Segments.check(segments, batch, len);
        int[][] ranks = Segments.ranks(segments);
        INDArray offset = Nd4j.createFromArray(ranks).castTo(t).muli(nBuckets + 1.0).reshape(batch, 1, 1, len);
        buckets.reshape('c', batch, heads, nHashes, len).addi(offset);
    }

    /** Padded tokens (key mask 0) go to bucket {@code nBuckets}, after every real bucket. */
    private void padBucket(DataType t) {
        if (keyMask != null) {
            INDArray pad = keyMask.castTo(t).reshape(batch, 1, 1, len).rsub(1.0);        // 1 = padding
            INDArray b4 = buckets.reshape('c', batch, heads, nHashes, len);
            b4.muli(pad.rsub(1.0)).addi(pad.mul(nBuckets));
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
        INDArray index = flatRoundIndex(inv, stride, offset);
        INDArray rows = gather(sorted, index);
        Views.release(index);
        return rows;
    }

    private static INDArray gather(INDArray src, INDArray idx) {
        return Nd4j.exec(new Gather(src, idx, 0))[0];
    }

    /**
     * Gathers the rows {@code idx} of {@code src} ({@code [bhr*L, d]}) into positions {@code from .. from+L} of a
     * {@code [bhr, P, d]} array; returns that view.
     */
    private INDArray placeGathered(INDArray target, int from, INDArray src, INDArray idx) {
        long bhr = batch * heads * nHashes;
        INDArray rows = gather(src, idx);
        INDArray view = target.get(NDArrayIndex.all(), NDArrayIndex.interval(from, from + len), NDArrayIndex.all());
        view.assign(rows.reshape('c', bhr, len, target.size(2)));
        Views.release(rows);
        return view;
    }

    /**
     * With wrap-around, copies the last chunk (padded positions {@code lp .. lp+m}) into the front chunk (positions
     * {@code 0 .. m}) of a {@code [bhr, m + lp, ...]} array, so that the first chunk's previous chunk is the last.
     */
    private void wrapFront(INDArray padded) {
        if (wrap) {
            INDArray[] ends = ends(padded);
            ends[0].assign(ends[1]);
        }
    }

    /** The front chunk and the last chunk of a {@code [bhr, m + lp, ...]} array. */
    private INDArray[] ends(INDArray padded) {
        return new INDArray[] {Views.view(padded, 0, shapeWith(padded, m), padded.stride()),
            Views.view(padded, (long) lp * padded.stride(1), shapeWith(padded, m), padded.stride())};
    }

    private static long[] shapeWith(INDArray a, long dim1) {
        long[] shape = a.shape().clone();
        shape[1] = dim1;
        return shape;
    }

    /** Each chunk's keys, its previous chunk and itself: {@code [bhr, nc, 2m, d]} view of {@code [bhr, m + lp, d]}. */
    private INDArray band(INDArray padded) {
        long w = padded.size(2);
        return Nd4j.create(padded.data(), new long[] {padded.size(0), nc, 2L * m, w},
                new long[] {(long) (m + lp) * w, (long) m * w, w, 1}, padded.offset(), 'c');
    }

    /**
     * {@code A^T B} for {@code A} {@code [bhr, nc, m, 2m]} (P or dS) against {@code B} {@code [bhr, nc, m, d]}, the
     * overlapping chunk pairs summed into {@code [bhr, m + lp, d]} (the padded sorted key positions; with
     * wrap-around the front chunk's share goes to the last chunk): a few slices and one half of the pair at a time,
     * so the {@code [bhr, nc, 2m, d]} products never exist whole.
     */
    private INDArray foldProducts(INDArray a, INDArray b, DataType t) {
        long bhr = batch * heads * nHashes;
        INDArray out = Nd4j.create(t, bhr, m + lp, dim);
        long perSlice = (long) nc * m * dim;
        long step = Math.max(1, Math.min(bhr, Views.chunkElements / perSlice));
        INDArray scratch = Scratch.get(Scratch.Slot.KEY_BLOCKS, t, step * perSlice);
        for (long a0 = 0; a0 < bhr; a0 += step) {
            long n = Math.min(step, bhr - a0);
            INDArray work = Views.prefix(scratch, n, nc, m, dim);
            for (int half = 0; half < 2; half++) {                                        // previous chunk, own chunk
                Nd4j.matmul(Views.lastCols(Views.range0(a, a0, n), (long) half * m, m), Views.range0(b, a0, n), work,
                        true, false, false);
                for (long i = 0; i < n; i++) {                // per slice one contiguous run: fast, unlike the 4-d view
                    Views.view(out, ((a0 + i) * (nc + 1) + half) * m * dim, new long[] {perSlice}, new long[] {1})
                            .addi(Views.view(work, i * perSlice, new long[] {perSlice}, new long[] {1}));
                }
            }
        }
        if (wrap) {
            INDArray[] ends = ends(out);
            ends[1].addi(ends[0]);                     // the front chunk was the last chunk's copy
        }
        return out;
    }

    /**
     * Adds the pattern to the scores {@code [bhr, nc, m, 2m]} in place: 0 for a key of the same bucket (earlier when
     * causal; itself only when the token has no other key in any round; never a padded key), else {@link #MASKED};
     * minus the log of the number of rounds the pair meets in. A few slices at a time, in two scratch buffers of that
     * size: no other score-sized array.
     */
    private void addMask(INDArray s, DataType t, INDArray idx) {
        long bh = batch * heads;
        long bhr = bh * nHashes;
        // sorted bucket of each slot, in its own round
        INDArray own = gather(buckets.reshape(bhr * len, 1), flatRoundIndex(perm, len, 0));   // [bhr*L, 1]
        INDArray ownKey = sortedKey(own, t, -1);                                         // padding never matches
        INDArray ownQuery = sortedQuery(own, t, -3);
        // rounds in which a pair meets: same bucket and chunk(q) - chunk(k) in {0, 1}, as one code per round. A
        // pair allowed in its own round meets there (same bucket, inside the band), so only the other rounds are
        // counted: other[j] holds, for the slots of each round r0, the codes of round (r0 + 1 + j) mod R
        double stride = 2.0 * nc + 4;
        INDArray[] code = new INDArray[nHashes];
        for (int r = 0; r < nHashes; r++) {                                               // few rounds
            INDArray bk = buckets.get(NDArrayIndex.all(), NDArrayIndex.point(r), NDArrayIndex.all()).dup('c');
            INDArray ch = Transforms.floor(inv.get(NDArrayIndex.all(), NDArrayIndex.point(r), NDArrayIndex.all())
                    .dup('c').castTo(t).divi(m), false);                                  // chunk of each token
            code[r] = gather(bk.muli(stride).addi(ch).reshape(bh * len, 1), idx)         // bucket * stride + chunk
                    .reshape('c', bh, nHashes, len);
        }
        INDArray[] codeKey = new INDArray[nHashes - 1];
        INDArray[] codeQuery = new INDArray[nHashes - 1];
        for (int j = 0; j < nHashes - 1; j++) {
            INDArray other = Nd4j.create(t, bh, nHashes, len);
            for (int r0 = 0; r0 < nHashes; r0++) {
                INDArray from = code[(r0 + 1 + j) % nHashes];
                other.get(NDArrayIndex.all(), NDArrayIndex.point(r0), NDArrayIndex.all())
                        .assign(from.get(NDArrayIndex.all(), NDArrayIndex.point(r0), NDArrayIndex.all()));
            }
            codeQuery[j] = sortedQuery(other.reshape(bhr * len, 1), t, -3e7);
            codeKey[j] = sortedKey(other.addi(0.5).reshape(bhr * len, 1), t, -1e7);       // + 0.5: see below
        }
        INDArray realKey = null;
        INDArray realTok = Nd4j.ones(t, bh, len);
        if (keyMask != null) {
            realTok.reshape('c', batch, heads, len).muli(keyMask.castTo(t).reshape(batch, 1, len));
            realKey = sortedKey(gather(realTok.reshape(bh * len, 1), idx), t, 0);
        }
        // itself only when the token has no other key in any round; real queries only
        INDArray alone = hasOther(own).rsubi(1.0).muli(realTok);                          // [bh, L]
        INDArray aloneSorted = sortedQuery(gather(alone.reshape(bh * len, 1), idx), t, 0);   // [bhr, nc, m]
        INDArray structure = structure(t);                                               // [m, 2m]

        long perSlice = (long) nc * m * 2L * m;
        long step = Math.max(1, Math.min(bhr, Views.chunkElements / perSlice));
        INDArray allowedBuf = Scratch.get(Scratch.Slot.MASK, t, step * perSlice);
        INDArray countBuf = Scratch.get(Scratch.Slot.MASK_COUNT, t, step * perSlice);
        for (long a = 0; a < bhr; a += step) {
            long n = Math.min(step, bhr - a);
            INDArray allowed = Views.prefix(allowedBuf, n, nc, m, 2L * m);
            INDArray count = nHashes > 1 ? Views.prefix(countBuf, n, nc, m, 2L * m) : null;   // other rounds met
            for (int j = 0; j < nHashes - 1; j++) {
                INDArray meet = j == 0 ? count : allowed;
                // code(q) - code(k) in {0, 1}  <=>  |(code(k) + 0.5) - code(q)| < 0.6 (integer codes: exact)
                pairs(meet, Views.range0(codeKey[j], a, n), Views.range0(codeQuery[j], a, n));
                INDArray last = null;
                if (wrap) {
                    // or the first chunk meeting the last: code(k) - code(q) = nc - 1
                    last = Transforms.step(Transforms.abs(meet.sub(nc - 0.5), false).rsubi(0.5), false);
                }
                Transforms.step(Transforms.abs(meet, false).rsubi(0.6), false);
                if (j > 0) {
                    count.addi(meet);
                }
                if (last != null) {
                    count.addi(last);
                    Views.release(last);
                }
            }
            isZero(pairs(allowed, Views.range0(ownKey, a, n), Views.range0(ownQuery, a, n)));   // same bucket
            Broadcast.mul(allowed, structure, allowed, 2, 3);                             // not itself; causal
            if (realKey != null) {
                Broadcast.mul(allowed, Views.range0(realKey, a, n), allowed, 0, 1, 3);
            }
            Views.view(allowed, m, new long[] {n, nc, m}, new long[] {perSlice, (long) m * 2 * m, 2L * m + 1})
                    .addi(Views.range0(aloneSorted, a, n));                               // itself, if alone
            INDArray sc = Views.range0(s, a, n);
            // allowed: -log N (a pair met in N rounds counts once); otherwise MASKED
            if (count != null) {                             // met in 1 + count rounds
                sc.subi(Transforms.log(count.addi(1.0), false).muli(allowed));
            }
            sc.addi(allowed.rsubi(1.0).muli(MASKED));
        }
        Views.release(own, alone);
        Scratch.release(Scratch.Slot.MASK, Scratch.Slot.MASK_COUNT);   // score-sized: not kept beside P
    }

    /**
     * 1 where the token has another key than itself in some round, {@code [bh, L]}. Slots are sorted by bucket, so a
     * bucket is a run of consecutive slots: a query has another key iff the previous slot (always inside its band)
     * has its bucket, or, when not causal, the next slot of its own chunk does. O(nHashes * L).
     */
    private INDArray hasOther(INDArray own) {
        long bhr = batch * heads * nHashes;
        DataType t = own.dataType();
        INDArray sorted = own.reshape('c', bhr, len);
        INDArray other = Nd4j.zeros(t, bhr, len);
        if (len > 1) {
            INDArray same = sorted.get(NDArrayIndex.all(), NDArrayIndex.interval(1, len))
                    .eq(sorted.get(NDArrayIndex.all(), NDArrayIndex.interval(0, len - 1))).castTo(t);   // slots s-1, s
            other.get(NDArrayIndex.all(), NDArrayIndex.interval(1, len)).addi(same);
            if (!causal) {
                INDArray slot = Nd4j.arange(1, len).castTo(t);                            // s + 1
                INDArray sameChunk = Transforms.step(slot.fmod(m), false).reshape(1, len - 1);
                other.get(NDArrayIndex.all(), NDArrayIndex.interval(0, len - 1)).addi(same.mulRowVector(sameChunk));
            }
            if (wrap) {
                // the first chunk also sees the last: a key of its bucket there iff the last chunk's first slot has it
                long first = Math.min(m, len);
                INDArray lastStart = sorted.get(NDArrayIndex.all(), NDArrayIndex.interval((long) (nc - 1) * m,
                        (long) (nc - 1) * m + 1));                                        // [bhr, 1]
                other.get(NDArrayIndex.all(), NDArrayIndex.interval(0, first))
                        .addi(sorted.get(NDArrayIndex.all(), NDArrayIndex.interval(0, first))
                                .eq(lastStart.broadcast(bhr, first)).castTo(t));
            }
        }
        INDArray tok = gatherRounds(other.reshape(bhr * len, 1), len, 0).reshape(batch * heads, nHashes, len);
        INDArray any = tok.sum(1).gt(0).castTo(t);
        Views.release(other, tok);
        return any;
    }

    /** 0/1 {@code [m, 2m]}: a key of the same bucket that the pattern allows (not itself; earlier when causal). */
    private INDArray structure(DataType t) {
        INDArray qq = Nd4j.arange(0, m).castTo(t).addi(m).reshape(m, 1);                 // query's own key index
        INDArray kk = Nd4j.arange(0, 2L * m).castTo(t).reshape(1, 2L * m);
        INDArray diff = Nd4j.zeros(t, m, 2L * m).addiRowVector(kk).subiColumnVector(qq);   // kk - (m + o)
        INDArray notSelf = diff.neq(0).castTo(t);
        return causal ? notSelf.muli(diff.lt(0).castTo(t)) : notSelf;
    }

    /** In place: 1 where the value is 0 (values are integers), else 0. */
    private static INDArray isZero(INDArray a) {
        return Transforms.step(Transforms.abs(a, false).rsubi(0.5), false);
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
        wrapFront(a);
        return Nd4j.create(a.data(), new long[] {bhr, nc, 2L * m}, new long[] {m + lp, m, 1}, a.offset(), 'c');
    }

    /**
     * {@code key[.., j] - query[.., i]} into {@code out} {@code [n, nc, m, 2m]}: one broadcasting subtraction of
     * {@code key} {@code [n, nc, 2m]} seen as {@code [n, nc, 1, 2m]} and {@code query} {@code [n, nc, m]} seen as
     * {@code [n, nc, m, 1]}.
     */
    private static INDArray pairs(INDArray out, INDArray key, INDArray query) {
        INDArray k4 = Nd4j.create(key.data(), new long[] {key.size(0), key.size(1), 1, key.size(2)},
                new long[] {key.stride(0), key.stride(1), key.size(2), key.stride(2)}, key.offset(), 'c');
        INDArray q4 = Nd4j.create(query.data(), new long[] {query.size(0), query.size(1), query.size(2), 1},
                new long[] {query.stride(0), query.stride(1), query.stride(2), 1}, query.offset(), 'c');
        Nd4j.exec(new SubOp(k4, q4, out));
        return out;
    }
}
