package dev.sparseattn.trainer.model.attention;

import dev.sparseattn.trainer.model.ops.Alloc;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.blas.params.MMulTranspose;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.api.ops.impl.reduce.same.Sum;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Shared machinery of the banded, blocked sparse patterns (Longformer's sliding window, Beltagy et al. 2020,
 * "Longformer: The Long-Document Transformer", section 3.1, computed as in its blocked "sliding chunks" form):
 * queries in blocks of {@code size}, each block against the {@code (before + 1 + after) * size} keys of its
 * neighbouring blocks, which are an overlapping strided view of the zero-padded keys ({@link BlockGeometry}).
 * Scores exist only per block, {@code [batch * heads, blocks, size, keys]}: time and memory O(L * keys), never
 * O(L^2). Within the band a subclass's additive mask ({@link #bandMask}) selects the pattern; key positions outside
 * the sequence and padded keys ({@link #setKeyMask}) are masked here. A query with no allowed key gets output 0.
 *
 * <p>Forward {@code S = Qb Kb^T / sqrt(d) + M}, {@code P = softmax(S)}, {@code Ob = P Vb}; backward
 * {@code dVb = P^T dOb}, {@code dS = P * (dOb Vb^T - rowsum(dO * O))}, {@code dQb = dS Kb / sqrt(d)},
 * {@code dKb = dS^T Qb / sqrt(d)}, then the overlapping key-block gradients are summed back into the padded
 * {@code dK}, {@code dV} (one exact product with a 0/1 fold matrix per batch-head). All work is batched matrix
 * products and element-wise ND4J operations, the element-wise ones on contiguous arrays only (ND4J is an order of
 * magnitude slower on column ranges); Java loops run over batch-heads, extra-block slots and chunks of rows. What a
 * layer keeps between forward and backward is allocated once per shape (outside workspaces); temporaries come from
 * the thread's {@link Scratch} buffers.
 */
public abstract class BlockBandAttention extends DetachedAttention {

    /** Additive score of a masked key; {@code exp} of it underflows to exactly 0 in float and double. */
    static final double MASKED = -1e9;

    /**
     * Largest band-and-range mask materialised (one pass over the scores instead of two), and largest key-block
     * gradient computed in one product: 256 MB in float.
     */
    static long FUSED_MASK_ELEMENTS = 1L << 26;

    /**
     * Query blocks folded per product ({@link #foldMatrix}): the 0/1 fold matrix of all blocks would make the fold
     * quadratic in the length, one of this many blocks keeps it linear.
     */
    static int FOLD_BLOCKS = 32;


    private long batch;
    private long heads;
    private long dim;
    private DataType type;
    private BlockGeometry g;
    private INDArray band;             // [1, heads or 1, 1, size, keys]  additive
    private INDArray range;            // [batch or 1, 1, blocks, 1, keys] additive: outside the sequence, padding
    private INDArray scoreMask;        // [batch or 1, heads or 1, blocks, size, keys + R + G]: all masks, if small
    private int[][] global;            // [1 or batch][G] global positions of every row (shared: one row), -1 unused
    private int[][] rowGlobal;         // per batch row, global positions besides the shared ones (spec), or null
    private int[][] extra;             // [blocks][r] extra key blocks (-1 unused), or null
    private INDArray[] selection;      // per extra slot [blocks, paddedK / size]: 0/1, which key block each query block gets
    private INDArray foldMatrix;       // [paddedK / size, blocks * span]: 0/1, key block of each (query block, offset)
    private int nr;                    // extra key columns, r * size
    private INDArray extraMask;        // [batch or 1, 1, blocks, 1, r * size] additive
    private INDArray globalMask;       // [batch or 1, heads or 1, blocks, size, G] additive
    private INDArray docMask;          // [batch, 1, blocks, size, keys + R + G] additive: other documents, or null
    private INDArray kg;               // [bh, G, d]  global keys
    private INDArray vg;               // [bh, G, d]  global values
    private final GlobalRows globalRows = new GlobalRows();
    private INDArray qp;               // [bh, paddedQ, d]  q / sqrt(d), zero padded
    private INDArray kp;               // [bh, paddedK, d]  zero padded
    private INDArray vp;               // [bh, paddedK, d]
    private INDArray probs;            // [bh, blocks, size, keys + R + G]: band, extra blocks, global columns
    private INDArray op;               // [bh, paddedQ, d]
    private INDArray dop;              // [bh, paddedQ, d]
    private INDArray dqp;              // [bh, paddedQ, d]
    private INDArray dkp;              // [bh, paddedK, d]
    private INDArray dvp;              // [bh, paddedK, d]
    private boolean emptyRows;
    private boolean kept;

    /** The block layout for sequences of {@code len}. */
    protected abstract BlockGeometry geometry(int len);

    /**
     * The pattern inside the band: additive mask (0 allowed, {@link #MASKED} not) of query {@code qq} of a block
     * against key {@code kk} of its key window, whose first key is {@code before * size} positions before the
     * block's first query. Shape {@code [heads or 1, size, keys]}.
     */
    protected abstract INDArray bandMask(BlockGeometry g, int heads, DataType type);

    /**
     * Global token positions for sequences of {@code len} (sorted, distinct, inside the sequence), or an empty array.
     * Global queries attend to every key ({@link GlobalRows}); every query attends to the global keys, which are
     * extra score columns next to the band's.
     */
    protected int[] globalPositions(int len) {
        return new int[0];
    }

    /**
     * Which global keys each query attends to through the extra columns, 0/1 {@code [heads or 1, paddedQ, G]}: 0
     * where the key is already inside the query's band pattern (so that it is counted once) or in its future when
     * causal. Only called when there are global positions.
     */
    protected INDArray globalColumns(int[] global, BlockGeometry g, int heads, DataType type) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no global tokens");
    }

    /**
     * Extra key blocks per query block (BigBird's random blocks): {@code [blocks][r]} block indices, -1 for an unused
     * slot; null for none. Must not repeat a block of the query block's band. Their scores are {@code r * size} more
     * columns between the band's and the global ones.
     */
    protected int[][] extraBlocks(BlockGeometry g) {
        return null;
    }

    /**
     * Band mask of block patterns without further structure ({@code [1, size, keys]}): 0, or, when causal,
     * {@link #MASKED} for keys after the query (key {@code kk} of the window is {@code kk - front} positions after
     * the block's first query).
     */
    protected static INDArray causalBandMask(BlockGeometry g, DataType type, boolean causal) {
        INDArray mask = Nd4j.zeros(type, 1, g.size(), g.keys());
        if (causal) {
            INDArray i = Nd4j.arange(0, g.size()).castTo(type).reshape(g.size(), 1);
            INDArray j = Nd4j.arange(0, g.keys()).castTo(type).reshape(1, g.keys());
            INDArray later = Nd4j.zeros(type, g.size(), g.keys()).addiRowVector(j).subiColumnVector(i).subi(g.front());
            mask.slice(0).assign(later.gt(0).castTo(type).muli(MASKED));
        }
        return mask;
    }

    /** Whether the pattern is causal (global query rows then see only earlier keys). */
    protected abstract boolean causal();

    /** Whether some real query may have no allowed key inside the band besides what padding removes. */
    protected boolean mayHaveEmptyRows() {
        return false;
    }

    /**
     * Padding mask of the keys of the following calls, {@code [batch, L]} (1 = real token, 0 = padding; a query
     * with no real key in its pattern outputs 0), or null for none.
     */
    @Override
    public void setKeyMask(INDArray mask) {
        super.setKeyMask(mask);
        this.range = null;
    }

    /**
     * Document ids of the following calls ({@link Attention#setSegments}): every score column (band, extra blocks,
     * global keys) is masked where the key's document differs from the query's, by one additive mask
     * {@code [batch, 1, blocks, size, columns]} built per block from the ids (O(L * columns), the scores' size per
     * head); the global query rows read their own document only.
     */
    @Override
    public void setSegments(INDArray segments) {
        super.setSegments(segments);
        this.range = null;
    }

    /**
     * Global tokens of each batch row of the following calls, besides the shared ones ({@code perRow[b]}, negative
     * = from the end, outside the sequence ignored; Longformer's per-example global attention), or null for none.
     */
    @Override
    public void setGlobalTokens(int[][] perRow) {
        if (perRow != null && !hasGlobalTokens()) {
            throw new UnsupportedOperationException(getClass().getSimpleName() + " has no global tokens");
        }
        this.rowGlobal = perRow == null ? null : perRow.clone();
        this.g = null;                 // the number of global columns may change: lay out again
    }

    /** Whether the pattern supports global tokens ({@link #globalColumns} is implemented). */
    protected boolean hasGlobalTokens() {
        return false;
    }

    /** Positions of {@code spec} in a sequence of {@code len}: negative from the end, outside ignored, sorted. */
    static int[] resolve(int[] spec, int len) {
        return java.util.Arrays.stream(spec).map(p -> p < 0 ? len + p : p).filter(p -> p >= 0 && p < len)
                .distinct().sorted().toArray();
    }

    /** The global positions of every row, {@code [1 or batch][G]}, padded with -1. */
    private int[][] globalTable(int len, long b) {
        int[] shared = globalPositions(len);
        if (rowGlobal == null) {
            return new int[][] {shared};
        }
        if (rowGlobal.length != b) {
            throw new IllegalArgumentException(rowGlobal.length + " rows of global tokens for a batch of " + b);
        }
        int[][] rows = new int[(int) b][];
        int most = 0;
        for (int r = 0; r < b; r++) {
            int[] both = java.util.stream.IntStream.concat(java.util.Arrays.stream(shared),
                    java.util.Arrays.stream(resolve(rowGlobal[r], len))).toArray();
            rows[r] = resolve(both, len);
            most = Math.max(most, rows[r].length);
        }
        for (int r = 0; r < b; r++) {
            int n = rows[r].length;
            rows[r] = java.util.Arrays.copyOf(rows[r], most);
            java.util.Arrays.fill(rows[r], n, most, -1);
        }
        return rows;
    }

    @Override
    protected void forwardDetached(INDArray q, INDArray k, INDArray v, INDArray out, Alloc keep) {
        prepare(q);
        long bh = batch * heads;
        int len = g.len();
        double scale = 1.0 / Math.sqrt(dim);
        Views.copyHeads(q, seq(qp, 0, len));
        qp.muli(scale);                                                                   // contiguous: fast
        Views.copyHeads(k, seq(kp, g.front(), len));
        Views.copyHeads(v, seq(vp, g.front(), len));

        INDArray qb = qp.reshape('c', bh, g.blocks(), g.size(), dim);                    // [bh, blocks, size, d]
        INDArray kb = keyBlocks(kp);                                                      // [bh, blocks, keys, d]
        INDArray vb = keyBlocks(vp);                                                      // [bh, blocks, keys, d]
        int ng = global[0].length;
        Nd4j.matmul(qb, kb, bandCols(probs), false, true, false);                         // S = Q K^T / sqrt(d)
        for (int t = 0; t < slots(); t++) {                                               // one extra block at a time
            Nd4j.matmul(qb, gatherSlot(kp, t), slotCols(probs, t), false, true, false);   // [bh, blocks, size, size]
        }
        if (ng > 0) {
            kg = gatherGlobal(kp);
            vg = gatherGlobal(vp);
            Nd4j.matmul(qp, kg, globalCols(probs), false, true, false);                  // [bh, paddedQ, G]
        }
        if (scoreMask != null) {
            probs.reshape('c', batch, heads, g.blocks(), g.size(), cols()).addi(scoreMask);   // one contiguous pass
        } else {                                                                          // masks too large to combine
            cols5(probs, 0, g.keys()).addi(band).addi(range);
            if (nr > 0) {
                cols5(probs, g.keys(), nr).addi(extraMask);
            }
            if (ng > 0) {
                cols5(probs, g.keys() + nr, ng).addi(globalMask);
            }
            if (docMask != null) {
                probs.reshape('c', batch, heads, g.blocks(), g.size(), cols()).addi(docMask);
            }
        }
        INDArray rowOk = null;
        if (emptyRows) {
            INDArray rowMax = probs.max(3);
            rowOk = rowMax.gt(MASKED / 2).castTo(type);                                   // [bh, blocks, size]
            Views.release(rowMax);
            // ND4J's softmax returns NaN for rows of only very negative scores: lift empty rows to 0
            INDArray lift = rowOk.rsub(1.0).muli(-MASKED);
            Views.flatRows(probs).addiColumnVector(Views.column(lift));
            Views.release(lift);
        }
        Nd4j.exec(new SoftMax(probs, probs, 3));                                          // P, in place
        if (rowOk != null) {
            Views.flatRows(probs).muliColumnVector(Views.column(rowOk));                 // empty rows -> 0
        }
        Nd4j.matmul(bandCols(probs), vb, op.reshape('c', bh, g.blocks(), g.size(), dim), false, false, false);
        if (nr > 0) {
            INDArray pv = Scratch.get(Scratch.Slot.ROWS, type, bh, g.blocks(), g.size(), dim);
            for (int t = 0; t < slots(); t++) {
                Nd4j.matmul(slotCols(probs, t), gatherSlot(vp, t), pv, false, false, false);
                op.reshape('c', bh, g.blocks(), g.size(), dim).addi(pv);
            }
        }
        if (ng > 0) {
            INDArray pv = Nd4j.matmul(globalCols(probs), vg, false, false, false);
            op.addi(pv);                                                                  // + P_global V_global
            Views.release(pv);
        }
        Views.copyHeads(seq(op, 0, len), out);
        if (ng > 0) {
            globalRows.forward(q, k, v, out, global, causal(), keyMask, segments);
        }
        kept = keep != null;
    }

    @Override
    public void backward(INDArray dOut, INDArray dq, INDArray dk, INDArray dv) {
        if (!kept) {
            throw new IllegalStateException("backward needs a preceding forward that kept its state");
        }
        kept = false;                  // the probabilities are overwritten by the score gradients below
        long bh = batch * heads;
        int len = g.len();
        double scale = 1.0 / Math.sqrt(dim);
        Views.copyHeads(dOut, seq(dop, 0, len));
        int ng = global[0].length;
        if (ng > 0) {
            globalRows.zeroRows(seq(dop, 0, len));     // those outputs came from the global rows
        }
        INDArray dob = dop.reshape('c', bh, g.blocks(), g.size(), dim);                  // [bh, blocks, size, d]
        INDArray qb = qp.reshape('c', bh, g.blocks(), g.size(), dim);
        INDArray kb = keyBlocks(kp);
        INDArray vb = keyBlocks(vp);

        INDArray prod = dop.mul(op, Scratch.get(Scratch.Slot.ROWS, type, bh, g.paddedQueries(), dim));
        INDArray rowDot = Scratch.get(Scratch.Slot.ROW_DOT, type, bh, g.paddedQueries());
        Nd4j.exec(new Sum(prod, rowDot, 2));                                              // rowsum(dO * O)
        rowDot = rowDot.reshape('c', bh, g.blocks(), g.size());
        INDArray work = op.reshape('c', bh, g.blocks(), g.size(), dim);                  // op is free from here
        // everything that needs P first: the score gradients then replace P in place
        foldKeyBlocks(probs, dob, dvp, work);                                             // dVb = P^T dO
        for (int t = 0; t < slots(); t++) {
            Nd4j.matmul(slotCols(probs, t), dob, work, true, false, false);               // [bh, blocks, size, d]
            scatterSlot(work, t, dvp);
        }
        INDArray dvg = ng > 0 ? Nd4j.matmul(globalCols(probs), dop, true, false, false) : null;   // [bh, G, d]
        scoreGradients(dob, vb, rowDot);
        INDArray ds = probs;                                                              // dS, in place of P
        Nd4j.matmul(bandCols(ds), kb, dqp.reshape('c', bh, g.blocks(), g.size(), dim), false, false, false);
        foldKeyBlocks(ds, qb, dkp, work);                                                 // dS^T Q / sqrt(d)
        for (int t = 0; t < slots(); t++) {
            Nd4j.matmul(slotCols(ds, t), gatherSlot(kp, t), work, false, false, false);
            dqp.reshape('c', bh, g.blocks(), g.size(), dim).addi(work);
            Nd4j.matmul(slotCols(ds, t), qb, work, true, false, false);                   // [bh, blocks, size, d]
            scatterSlot(work, t, dkp);
        }
        INDArray dkg = null;
        if (ng > 0) {
            INDArray dqg = Nd4j.matmul(globalCols(ds), kg, false, false, false);
            dqp.addi(dqg);
            Views.release(dqg);
            dkg = Nd4j.matmul(globalCols(ds), qp, true, false, false);                   // [bh, G, d]
        }
        dqp.muli(scale);
        Views.copyHeads(seq(dqp, 0, len), dq);
        for (int r = 0; r < global.length; r++) {                                         // shared, or per row
            for (int i = 0; i < ng; i++) {                                                // few global keys
                if (global[r][i] >= 0) {
                    int p = g.front() + global[r][i];
                    globalKeyRows(dkp, r, p).addi(globalKeyRows(dkg, r, i));
                    globalKeyRows(dvp, r, p).addi(globalKeyRows(dvg, r, i));
                }
            }
        }
        Views.copyHeads(seq(dkp, g.front(), len), dk);
        Views.copyHeads(seq(dvp, g.front(), len), dv);
        if (ng > 0) {
            globalRows.backward(dOut, dq, dk, dv);
        }
    }

    /**
     * Overwrites P ({@code probs}) with {@code dS = P * (dO V^T - rowDot)}, a chunk of (batch-head, block) rows at a
     * time, so that the {@code dO V^T} scores never exist at full size beside P. Each chunk computes every column
     * (band, extra blocks, global keys) into one contiguous buffer of P's row layout: the element-wise work then runs
     * on contiguous arrays only.
     */
    private void scoreGradients(INDArray dob, INDArray vb, INDArray rowDot) {
        long bh = batch * heads;
        long c = cols();
        int ng = global[0].length;
        long perBlock = (long) g.size() * c;
        long perHead = g.blocks() * perBlock;
        long hStep = perHead <= Views.chunkElements ? Math.max(1, Math.min(bh, Views.chunkElements / perHead)) : 1;
        long bStep = perHead <= Views.chunkElements ? g.blocks() : Math.max(1, Views.chunkElements / perBlock);
        INDArray scratch = Scratch.get(Scratch.Slot.SCORES, type, hStep * bStep * perBlock);
        for (long h0 = 0; h0 < bh; h0 += hStep) {
            long nh = Math.min(hStep, bh - h0);
            for (long b0 = 0; b0 < g.blocks(); b0 += bStep) {
                long nb = Math.min(bStep, g.blocks() - b0);
                INDArray t = Views.prefix(scratch, nh, nb, g.size(), c);                  // dP of the chunk
                INDArray dobChunk = Views.range01(dob, h0, nh, b0, nb);                   // [nh, nb, size, d]
                Nd4j.matmul(dobChunk, Views.range01(vb, h0, nh, b0, nb), Views.lastCols(t, 0, g.keys()),
                        false, true, false);
                for (int s = 0; s < slots(); s++) {                                       // one extra block at a time
                    Nd4j.matmul(dobChunk, gatherSlot(vp, s, h0, nh, b0, nb),
                            Views.lastCols(t, g.keys() + (long) s * g.size(), g.size()), false, true, false);
                }
                if (ng > 0) {                                                             // [nh, nb * size, G]
                    long q = nb * g.size();
                    Nd4j.matmul(Views.view(dob, (h0 * g.blocks() + b0) * g.size() * dim, new long[] {nh, q, dim},
                            new long[] {(long) g.paddedQueries() * dim, dim, 1}), Views.range0(vg, h0, nh),
                            Views.view(t, g.keys() + nr, new long[] {nh, q, ng}, new long[] {q * c, c, 1}),
                            false, true, false);
                }
                Views.flatRows(t).subiColumnVector(Views.column(Views.range01(rowDot, h0, nh, b0, nb)));
                Views.range01(probs, h0, nh, b0, nb).muli(t);                             // contiguous, same layout
            }
        }
    }

    /** The band columns of a {@code [bh, blocks, size, keys + R + G]} array. */
    private INDArray bandCols(INDArray a) {
        return cols() == g.keys() ? a : Nd4j.create(a.data(), new long[] {batch * heads, g.blocks(), g.size(),
            g.keys()}, new long[] {(long) g.blocks() * g.size() * cols(), (long) g.size() * cols(), cols(), 1},
                a.offset(), 'c');
    }

    /** The global columns of a {@code [bh, blocks, size, keys + R + G]} array as {@code [bh, paddedQ, G]}. */
    private INDArray globalCols(INDArray a) {
        return Nd4j.create(a.data(), new long[] {batch * heads, g.paddedQueries(), global[0].length},
                new long[] {(long) g.paddedQueries() * cols(), cols(), 1}, a.offset() + g.keys() + nr, 'c');
    }

    /** The extra-block columns of a {@code [bh, blocks, size, keys + R + G]} array: {@code [bh, blocks, size, R]}. */
    private INDArray extraCols(INDArray a) {
        return Nd4j.create(a.data(), new long[] {batch * heads, g.blocks(), g.size(), nr},
                new long[] {(long) g.paddedQueries() * cols(), (long) g.size() * cols(), cols(), 1},
                a.offset() + g.keys(), 'c');
    }

    /** Padded key block ids of the extra blocks, query block major (unused slots read block 0, masked). */
    private long[] extraIds() {
        int r = extra[0].length;
        long[] ids = new long[g.blocks() * r];
        for (int n = 0; n < g.blocks(); n++) {
            for (int t = 0; t < r; t++) {
                ids[n * r + t] = Math.max(extra[n][t], 0) + g.before();
            }
        }
        return ids;
    }

    /** Extra key blocks per query block ({@code r}). */
    private int slots() {
        return nr / g.size();
    }

    /** Columns of extra slot {@code t} of a {@code [bh, blocks, size, keys + R + G]} array: {@code [bh, blocks, size, size]}. */
    private INDArray slotCols(INDArray a, int t) {
        return Views.lastCols(extraCols(a), (long) t * g.size(), g.size());
    }

    /**
     * Extra key block {@code t} of every query block, gathered from a padded {@code [bh, paddedK, d]} array:
     * {@code [bh, blocks, size, d]} (one slot at a time: never all at once), a thread scratch buffer. The gather is
     * a product with the slot's 0/1 selection matrix per batch-head (exact; ND4J's index gathers are far slower).
     */
    private INDArray gatherSlot(INDArray padded, int t) {
        return gatherSlot(padded, t, 0, batch * heads, 0, g.blocks());
    }

    /** {@link #gatherSlot(INDArray, int)} for batch-heads {@code h0 .. h0+nh} and query blocks {@code b0 .. b0+nb}. */
    private INDArray gatherSlot(INDArray padded, int t, long h0, long nh, long b0, long nb) {
        long blockLen = (long) g.size() * dim;
        long keyBlocks = g.paddedKeys() / g.size();
        INDArray out = Scratch.get(Scratch.Slot.GATHERED, type, nh, nb, g.size(), dim);
        INDArray select = Views.range0(selection[t], b0, nb);                             // [nb, paddedK / size]
        for (long h = 0; h < nh; h++) {                                                  // batch-heads
            Nd4j.matmul(select, Views.view(padded, (h0 + h) * keyBlocks * blockLen, new long[] {keyBlocks, blockLen},
                    new long[] {blockLen, 1}), Views.view(out, h * nb * blockLen, new long[] {nb, blockLen},
                    new long[] {blockLen, 1}), false, false, false);
        }
        return out;
    }

    /**
     * Adds the gradient of extra slot {@code t} ({@code [bh, blocks, size, d]}, contiguous) into the padded key
     * blocks it came from: the transposed selection product sums query blocks that chose the same key block.
     */
    private void scatterSlot(INDArray grad, int t, INDArray padded) {
        long bh = batch * heads;
        long blockLen = (long) g.size() * dim;
        long keyBlocks = g.paddedKeys() / g.size();
        INDArray sum = Scratch.get(Scratch.Slot.SCATTERED, type, bh, keyBlocks, blockLen);
        for (long h = 0; h < bh; h++) {                                                  // batch-heads
            Nd4j.matmul(selection[t], Views.view(grad, h * g.blocks() * blockLen, new long[] {g.blocks(), blockLen},
                    new long[] {blockLen, 1}), sum.slice(h), true, false, false);
        }
        padded.addi(sum.reshape('c', padded.shape()));
    }

    /**
     * The overlapping key-block fold as a product, for {@code c = min(blocks, FOLD_BLOCKS)} query blocks at a time:
     * row {@code j} of {@code [c + span - 1, c * span]} has a 1 at column {@code n * span + t} for every query block
     * {@code n} and offset {@code t} with {@code n + t = j}. Exact products per batch-head and run of blocks,
     * accumulated, sum the key-block gradients into the padded layout (much faster than strided adds); its top-left
     * corner serves a shorter last run.
     */
    private INDArray foldMatrix(DataType t) {
        int span = g.before() + 1 + g.after();
        int c = Math.min(g.blocks(), FOLD_BLOCKS);
        INDArray f = Nd4j.zeros(t, c + span - 1, (long) c * span);
        for (int n = 0; n < c; n++) {                                                     // few entries per block
            for (int o = 0; o < span; o++) {
                f.putScalar(n + o, (long) n * span + o, 1.0);
            }
        }
        return f;
    }

    /** Per extra slot, {@code [blocks, paddedK / size]}: row {@code n} selects query block {@code n}'s key block. */
    private INDArray[] selections(DataType t) {
        int r = extra[0].length;
        long[] ids = extraIds();
        INDArray[] out = new INDArray[r];
        for (int s = 0; s < r; s++) {
            out[s] = Nd4j.zeros(t, g.blocks(), g.paddedKeys() / g.size());
            for (int n = 0; n < g.blocks(); n++) {                                        // one entry per block
                if (extra[n][s] >= 0) {
                    out[s].putScalar(n, ids[n * r + s], 1.0);
                }
            }
        }
        return out;
    }

    /** Columns {@code from .. from+n} of a {@code [bh, blocks, size, keys + G]} array as {@code [b, h, blocks, size, n]}. */
    private INDArray cols5(INDArray a, int from, int n) {
        long c = cols();
        long perHead = (long) g.paddedQueries() * c;
        return Nd4j.create(a.data(), new long[] {batch, heads, g.blocks(), g.size(), n},
                new long[] {heads * perHead, perHead, g.size() * c, c, 1}, a.offset() + from, 'c');
    }

    /** Row {@code p} of a c-contiguous {@code [bh, P, d]} array as a {@code [bh, d]} view. */
    private static INDArray row(INDArray a, long p) {
        return Nd4j.create(a.data(), new long[] {a.size(0), a.size(2)}, new long[] {a.stride(0), a.stride(2)},
                a.offset() + p * a.stride(1), 'c');
    }

    private long cols() {
        return g.keys() + nr + global[0].length;
    }

    private long[] shifted(int[] positions) {
        long[] out = new long[positions.length];
        for (int i = 0; i < positions.length; i++) {
            out[i] = Math.max(positions[i], 0) + g.front();          // unused slots read position 0, masked
        }
        return out;
    }

    /** The global keys of a padded {@code [bh, paddedK, d]} array: {@code [bh, G, d]} (per batch row if needed). */
    private INDArray gatherGlobal(INDArray padded) {
        if (global.length == 1) {
            INDArray got = padded.get(NDArrayIndex.all(), NDArrayIndex.indices(shifted(global[0])), NDArrayIndex.all());
            INDArray out = got.dup('c');
            Views.release(got);
            return out;
        }
        int ng = global[0].length;
        INDArray out = Nd4j.create(type, batch * heads, ng, dim);
        for (int r = 0; r < batch; r++) {                                                 // batch rows
            INDArray got = Views.range0(padded, (long) r * heads, heads)
                    .get(NDArrayIndex.all(), NDArrayIndex.indices(shifted(global[r])), NDArrayIndex.all());
            Views.range0(out, (long) r * heads, heads).assign(got);
            Views.release(got);
        }
        return out;
    }

    /**
     * Position {@code p} of a {@code [bh, P, d]} array for the batch-heads of global-table row {@code r}: all of
     * them ({@code [bh, d]}) for a shared table, else the heads of batch row {@code r} ({@code [heads, d]}).
     */
    private INDArray globalKeyRows(INDArray a, int r, long p) {
        INDArray rows = global.length == 1 ? a : Views.range0(a, (long) r * heads, heads);
        return row(rows, p);
    }

    @Override
    public void clear() {
        kept = false;
        globalRows.clear();
    }

    /** Overlapping key blocks of a padded {@code [bh, paddedK, d]} array as one strided view. */
    private INDArray keyBlocks(INDArray padded) {
        long bh = batch * heads;
        return Nd4j.create(padded.data(), new long[] {bh, g.blocks(), g.keys(), dim},
                new long[] {(long) g.paddedKeys() * dim, (long) g.size() * dim, dim, 1}, padded.offset(), 'c');
    }

    /**
     * {@code A^T B} for the band columns of {@code a} ({@code [bh, blocks, size, keys + ...]}: P or dS) against
     * {@code b} ({@code [bh, blocks, size, d]}), summed over the overlapping key blocks into the padded
     * {@code [bh, paddedK, d]}: one block offset at a time through {@code work} ({@code [bh, blocks, size, d]}), so
     * the key-block gradients never exist at full size.
     */
    private void foldKeyBlocks(INDArray a, INDArray b, INDArray padded, INDArray work) {
        long bh = batch * heads;
        int span = g.before() + 1 + g.after();
        INDArray band = bandCols(a);
        if (bh * g.blocks() * g.keys() * dim <= FUSED_MASK_ELEMENTS) {
            // small enough: one product for all offsets (faster than one per offset on a strided view)
            INDArray whole = Scratch.get(Scratch.Slot.KEY_BLOCKS, type, bh, g.blocks(), g.keys(), dim);
            Nd4j.matmul(band, b, whole, true, false, false);
            long row = (long) g.size() * dim;
            long c = foldMatrix.size(0) - span + 1;
            padded.assign(0);
            for (long h = 0; h < bh; h++) {                                              // batch-heads
                for (long n0 = 0; n0 < g.blocks(); n0 += c) {                             // runs of query blocks
                    long nb = Math.min(c, g.blocks() - n0);
                    INDArray f = Views.view(foldMatrix, 0, new long[] {nb + span - 1, nb * span},
                            new long[] {foldMatrix.size(1), 1});
                    Nd4j.exec(new Mmul(f, Views.view(whole, (h * g.blocks() + n0) * span * row,
                            new long[] {nb * span, row}, new long[] {row, 1}), Views.view(padded,
                            h * g.paddedKeys() * dim + n0 * row, new long[] {nb + span - 1, row},
                            new long[] {row, 1}), 1.0, 1.0, MMulTranspose.allFalse()));       // += : runs overlap
                }
            }
            return;
        }
        for (int t = 0; t < span; t++) {
            Nd4j.matmul(Views.lastCols(band, (long) t * g.size(), g.size()), b, work, true, false, false);
            addBlocks(work, padded, t);
        }
    }

    /**
     * Offset {@code t} of the key-block fold for very long sequences: key-block gradients {@code work}
     * ({@code [bh, blocks, size, d]}, contiguous) go to padded key blocks {@code t .. t + blocks} of each batch-head,
     * assigned for {@code t = 0} (the rest of {@code padded} zeroed), added after. Per batch-head both are one
     * contiguous run.
     */
    private void addBlocks(INDArray work, INDArray padded, int t) {
        long run = (long) g.blocks() * g.size() * dim;
        long perHead = (long) g.paddedKeys() * dim;
        for (long h = 0; h < batch * heads; h++) {                                       // batch-heads
            INDArray to = Views.view(padded, h * perHead + (long) t * g.size() * dim, new long[] {run}, new long[] {1});
            INDArray src = Views.view(work, h * run, new long[] {run}, new long[] {1});
            if (t > 0) {
                to.addi(src);
            } else {
                to.assign(src);
                if (perHead > run) {
                    Views.view(padded, h * perHead + run, new long[] {perHead - run}, new long[] {1}).assign(0);
                }
            }
        }
    }

    /** Positions {@code from .. from+len} of a {@code [bh, P, d]} buffer, seen as {@code [batch, heads, len, d]}. */
    private INDArray seq(INDArray buf, int from, int len) {
        return buf.reshape('c', batch, heads, buf.size(1), dim)
                .get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(from, from + len), NDArrayIndex.all());
    }

    @SuppressWarnings("try")
    private void prepare(INDArray q) {
        long b = q.size(0);
        long h = q.size(1);
        int len = (int) q.size(2);
        long d = q.size(3);
        DataType t = q.dataType();
        boolean same = g != null && b == batch && h == heads && len == g.len() && d == dim && t == type;
        if (keyMask != null && keyMask.size(0) != b) {
            throw new IllegalArgumentException("key mask of " + keyMask.size(0) + " rows for a batch of " + b);
        }
        try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
            if (!same) {
                Views.release(qp, kp, vp, dop, op, dqp, dkp, dvp, probs);
                batch = b;
                heads = h;
                dim = d;
                type = t;
                g = geometry(len);
                global = globalTable(len, b);
                extra = extraBlocks(g);
                nr = extra == null || extra.length == 0 ? 0 : extra[0].length * g.size();
                selection = nr == 0 ? null : selections(t);
                foldMatrix = foldMatrix(t);
                long bh = b * h;
                long cols = g.keys() + nr + global[0].length;
                qp = Nd4j.create(t, bh, g.paddedQueries(), d);
                kp = Nd4j.create(t, bh, g.paddedKeys(), d);
                vp = Nd4j.create(t, bh, g.paddedKeys(), d);
                dop = Nd4j.create(t, bh, g.paddedQueries(), d);
                op = Nd4j.create(t, bh, g.paddedQueries(), d);
                dqp = Nd4j.create(t, bh, g.paddedQueries(), d);
                dkp = Nd4j.create(t, bh, g.paddedKeys(), d);
                dvp = Nd4j.create(t, bh, g.paddedKeys(), d);
                probs = Nd4j.createUninitialized(t, bh, g.blocks(), g.size(), cols);
                INDArray bm = bandMask(g, (int) h, t);                                   // [heads or 1, size, keys]
                band = bm.reshape('c', 1, bm.size(0), 1, g.size(), g.keys());
                range = null;
            }
            if (range == null) {
                Segments.check(segments, b, len);
                range = rangeMask(t);
                Views.release(docMask);
                docMask = segments == null ? null : docMask(t);
                globalMask = global[0].length == 0 ? null : globalMask(t, (int) h);
                extraMask = nr == 0 ? null : extraMask(t);
                Views.release(scoreMask);
                scoreMask = scoreMask(t);
            }
        }
        // padded queries past the end may see no key at all (e.g. a short window in a block sized for a dilated one)
        // documents never empty a real query's row: it is in its own band and document
        emptyRows = keyMask != null || mayHaveEmptyRows() || g.paddedQueries() > len;
    }

    /**
     * Every additive mask of the score columns (band and range, extra blocks, global keys) in one contiguous
     * {@code [batch or 1, heads or 1, blocks, size, keys + R + G]} array, so that the forward adds them in one pass
     * over contiguous scores (ND4J's element-wise operations on column ranges are an order of magnitude slower);
     * null when larger than {@link #FUSED_MASK_ELEMENTS}: O(L * columns).
     */
    private INDArray scoreMask(DataType t) {
        long rows = Math.max(Math.max(range.size(0), docMask == null ? 1 : docMask.size(0)),
                Math.max(extraMask == null ? 1 : extraMask.size(0), globalMask == null ? 1 : globalMask.size(0)));
        long hm = Math.max(band.size(1), globalMask == null ? 1 : globalMask.size(1));
        long c = cols();
        if (rows * hm * g.blocks() * g.size() * c > FUSED_MASK_ELEMENTS) {
            return null;
        }
        INDArray m = Nd4j.zeros(t, rows, hm, g.blocks(), g.size(), c);
        Views.lastCols(m, 0, g.keys()).addi(band).addi(range);
        if (nr > 0) {
            Views.lastCols(Views.lastCols(m, g.keys(), c - g.keys()), 0, nr).addi(extraMask);
        }
        if (global[0].length > 0) {
            Views.lastCols(m, g.keys() + nr, global[0].length).addi(globalMask);
        }
        if (docMask != null) {
            m.addi(docMask);
        }
        return m;
    }

    /**
     * Additive mask of the extra-block columns, {@code [batch or 1, 1, blocks, 1, R]}: unused slots, positions
     * outside the sequence, padding, and global keys (those have their own column) are masked.
     */
    private INDArray extraMask(DataType t) {
        int r = extra[0].length;
        long rows = keyMask == null ? 1 : keyMask.size(0);
        double[] used = new double[g.blocks() * r];
        double[] start = new double[g.blocks() * r];
        for (int n = 0; n < g.blocks(); n++) {
            for (int s = 0; s < r; s++) {
                used[n * r + s] = extra[n][s] >= 0 ? 1 : 0;
                start[n * r + s] = Math.max(extra[n][s], 0) * (double) g.size();
            }
        }
        INDArray pos = Nd4j.zeros(t, g.blocks() * r, g.size())
                .addiColumnVector(Nd4j.createFromArray(start).castTo(t).reshape(g.blocks() * r, 1))
                .addiRowVector(Nd4j.arange(0, g.size()).castTo(t));                       // [blocks * r, size]
        INDArray ok = pos.lt(g.len()).castTo(t).muliColumnVector(Nd4j.createFromArray(used).castTo(t)
                .reshape(g.blocks() * r, 1));
        INDArray allowed = Nd4j.create(t, global.length, g.blocks() * r, g.size());       // [1|batch, blocks * r, size]
        for (int row = 0; row < global.length; row++) {
            INDArray okRow = ok.dup();
            for (int p : global[row]) {
                if (p >= 0) {
                    okRow.muli(pos.neq(p).castTo(t));
                }
            }
            allowed.slice(row).assign(okRow);
        }
        allowed = allowed.reshape('c', global.length, g.blocks(), nr);                    // [1|batch, blocks, R]
        rows = Math.max(rows, global.length);
        if (keyMask != null) {
            INDArray real = Nd4j.create(t, rows, g.paddedKeys());
            real.get(NDArrayIndex.all(), NDArrayIndex.interval(g.front(), g.front() + g.len()))
                    .assign(keyMask.castTo(t).reshape(rows, g.len()));
            INDArray gathered = real.reshape('c', rows, g.paddedKeys() / g.size(), g.size())
                    .get(NDArrayIndex.all(), NDArrayIndex.indices(extraIds()), NDArrayIndex.all()).dup('c')
                    .reshape('c', rows, g.blocks(), nr);
            allowed = gathered.muli(allowed);
        }
        return allowed.sub(1.0).muli(-MASKED).reshape('c', rows, 1, g.blocks(), 1, nr);
    }

    /** Additive mask of the global columns: {@code [batch or 1, heads or 1, blocks, size, G]}. */
    private INDArray globalMask(DataType t, int h) {
        int ng = global[0].length;
        INDArray add = null;                                                              // [1|batch, h|1, paddedQ, G]
        for (int r = 0; r < global.length; r++) {
            int[] pos = global[r];
            INDArray allowed = globalColumns(java.util.Arrays.stream(pos).map(p -> Math.max(p, 0)).toArray(), g, h, t);
            for (int i = 0; i < ng; i++) {
                if (pos[i] < 0) {
                    allowed.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(i)).assign(0);   // unused
                }
            }
            if (add == null) {
                add = Nd4j.create(t, global.length, allowed.size(0), g.paddedQueries(), ng);
            }
            add.slice(r).assign(allowed);
        }
        add = add.subi(1.0).muli(-MASKED).reshape('c', global.length, add.size(1), g.blocks(), g.size(), ng);
        if (keyMask != null) {
            INDArray km = keyMask.castTo(t);
            INDArray real = Nd4j.create(t, keyMask.size(0), ng);
            for (int b = 0; b < keyMask.size(0); b++) {                                  // batch rows
                int[] pos = global[global.length == 1 ? 0 : b];
                long[] at = java.util.Arrays.stream(pos).mapToLong(p -> Math.max(p, 0)).toArray();
                real.getRow(b).assign(km.getRow(b).reshape(1, km.size(1))
                        .get(NDArrayIndex.point(0), NDArrayIndex.indices(at)));
            }
            add = add.add(real.sub(1.0).muli(-MASKED).reshape('c', keyMask.size(0), 1, 1, 1, ng));
        }
        return add;
    }

    /**
     * Additive mask of keys of another document than the query's, {@code [batch, 1, blocks, size, cols]}: the
     * document of every column's key (band: the strided key-block view of the padded ids; extra blocks: their
     * gathered ids; global keys: theirs) against the query's, both padded with {@link Segments#OUTSIDE}.
     */
    private INDArray docMask(DataType t) {
        long b = batch;
        int ng = global[0].length;
        INDArray segQ = Segments.padded(segments, t, 0, g.paddedQueries())
                .reshape('c', b, 1, g.blocks(), g.size(), 1);                             // [b, 1, blocks, size, 1]
        INDArray segK = Nd4j.create(t, b, g.blocks(), cols());                            // [b, blocks, cols]
        INDArray pk = Segments.padded(segments, t, g.front(), g.paddedKeys());            // [b, paddedK]
        INDArray bandIds = Nd4j.create(pk.data(), new long[] {b, g.blocks(), g.keys()},
                new long[] {g.paddedKeys(), g.size(), 1}, pk.offset(), 'c');              // [b, blocks, keys]
        segK.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, g.keys())).assign(bandIds);
        if (nr > 0) {
            INDArray got = pk.reshape('c', b, g.paddedKeys() / g.size(), g.size())
                    .get(NDArrayIndex.all(), NDArrayIndex.indices(extraIds()), NDArrayIndex.all()).dup('c')
                    .reshape('c', b, g.blocks(), nr);
            segK.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(g.keys(), g.keys() + nr))
                    .assign(got);
        }
        if (ng > 0) {
            INDArray ids = Nd4j.create(t, b, 1, ng);
            for (int r = 0; r < b; r++) {                                                 // batch rows
                int[] pos = global[global.length == 1 ? 0 : r];
                long[] at = java.util.Arrays.stream(pos).mapToLong(p -> Math.max(p, 0)).toArray();
                ids.get(NDArrayIndex.point(r), NDArrayIndex.point(0), NDArrayIndex.all())
                        .assign(segments.castTo(t).getRow(r).reshape(1, g.len())
                                .get(NDArrayIndex.point(0), NDArrayIndex.indices(at)));
            }
            segK.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(g.keys() + nr, cols()))
                    .assign(ids.broadcast(b, g.blocks(), ng));
        }
        return Segments.additive(segQ, segK.reshape('c', b, 1, g.blocks(), 1, cols()), t,
                b, 1, g.blocks(), g.size(), cols());
    }

    /** Additive mask of key positions outside {@code [0, L)} or padded: {@code [batch or 1, 1, blocks, 1, keys]}. */
    private INDArray rangeMask(DataType t) {
        int len = g.len();
        long rows = keyMask == null ? 1 : keyMask.size(0);
        INDArray real = Nd4j.create(t, rows, g.paddedKeys());                              // [rows, paddedK]
        INDArray inside = real.get(NDArrayIndex.all(), NDArrayIndex.interval(g.front(), g.front() + len));
        if (keyMask == null) {
            inside.assign(1);
        } else {
            inside.assign(keyMask.castTo(t).reshape(rows, len));
        }
        INDArray blocks = Nd4j.create(real.data(), new long[] {rows, g.blocks(), g.keys()},
                new long[] {g.paddedKeys(), g.size(), 1}, real.offset(), 'c');             // [rows, blocks, keys]
        return blocks.sub(1.0).muli(-MASKED).reshape('c', rows, 1, g.blocks(), 1, g.keys());
    }
}
