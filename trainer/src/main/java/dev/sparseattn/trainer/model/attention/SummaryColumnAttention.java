package dev.sparseattn.trainer.model.attention;

import dev.sparseattn.trainer.model.ops.Alloc;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Broadcast;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The second factor of the Sparse Transformer's fixed pattern (Child et al. 2019, section 4.2,
 * {@code A(2)_i = {j : j mod l in {l - c, ..., l - 1}}}): every query attends to the last {@code c} "summary" cells
 * of every block of {@code l} (earlier ones only when causal). With {@code perHead}, head {@code h} uses the
 * {@code h mod (l / c)}-th group of {@code c} cells counted from the block's end, so that heads summarise different
 * sub-blocks (section 4.2, "different heads attend to distinct sub-blocks"). Keys are the {@code ceil(L / l) * c}
 * gathered summary cells: O(L^2 c / l).
 */
public final class SummaryColumnAttention extends DetachedAttention {

    private final int block;
    private final int cells;
    private final boolean perHead;
    private final boolean causal;
    private final DenseCore core = new DenseCore();
    private long batch;
    private long heads;
    private int len;
    private int rows;

    public SummaryColumnAttention(int block, int cells, boolean perHead, boolean causal) {
        if (block < 1 || cells < 1 || cells > block) {
            throw new IllegalArgumentException("need 1 <= summary cells (" + cells + ") <= block (" + block + ")");
        }
        this.block = block;
        this.cells = cells;
        this.perHead = perHead;
        this.causal = causal;
    }

    /** First summary cell (within its block) of head {@code h}. */
    int firstCell(int h) {
        int groups = block / cells;
        int group = perHead ? h % groups : 0;
        return block - cells * (group + 1);
    }

    @Override
    protected void forwardDetached(INDArray q, INDArray k, INDArray v, INDArray out, Alloc keep) {
        batch = q.size(0);
        heads = q.size(1);
        len = (int) q.size(2);
        rows = (len + block - 1) / block;
        DataType t = q.dataType();
        INDArray qs = padQueries(q).muli(1.0 / Math.sqrt(q.size(3)));                 // [b, h, rows * l, d]
        Segments.check(segments, batch, len);
        INDArray o = core.forward(qs, gather(k), gather(v), s -> {
            addMask(s, t);
            if (segments != null) {
                addDocuments(s, t);
            }
        });
        out.assign(queries(o));
        if (keep == null) {
            core.clear();
        }
    }

    @Override
    public void backward(INDArray dOut, INDArray dq, INDArray dk, INDArray dv) {
        INDArray[] g = core.backward(padQueries(dOut));
        dq.assign(queries(g[0])).muli(1.0 / Math.sqrt(dOut.size(3)));
        scatter(g[1], dk);
        scatter(g[2], dv);
    }

    @Override
    public void clear() {
        core.clear();
    }


    /** {@code [b, h, L, d]} -> zero-padded copy {@code [b, h, rows * l, d]} (whole blocks of queries). */
    private INDArray padQueries(INDArray a) {
        INDArray padded = Nd4j.create(a.dataType(), batch, heads, (long) rows * block, a.size(3));
        queries(padded).assign(a);
        return padded;
    }

    /** The first {@code L} positions of a {@code [b, h, rows * l, d]} array. */
    private INDArray queries(INDArray padded) {
        return padded.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, len), NDArrayIndex.all());
    }

    /** The summary cells of each head: {@code [b, h, rows * c, d]} (a loop over heads: their cells differ). */
    private INDArray gather(INDArray a) {
        long d = a.size(3);
        INDArray padded = Nd4j.create(a.dataType(), batch, heads, (long) rows * block, d);
        padded.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, len), NDArrayIndex.all()).assign(a);
        INDArray blocks = padded.reshape('c', batch, heads, rows, block, d);
        INDArray out = Nd4j.create(a.dataType(), batch, heads, rows, cells, d);
        for (int h = 0; h < heads; h++) {
            out.get(NDArrayIndex.all(), NDArrayIndex.interval(h, h + 1), NDArrayIndex.all(), NDArrayIndex.all(),
                    NDArrayIndex.all()).assign(blocks.get(NDArrayIndex.all(), NDArrayIndex.interval(h, h + 1),
                    NDArrayIndex.all(), NDArrayIndex.interval(firstCell(h), firstCell(h) + cells), NDArrayIndex.all()));
        }
        return out.reshape('c', batch, heads, (long) rows * cells, d);
    }

    /** Inverse of {@link #gather}: writes the cells' gradients into {@code [b, h, L, d]}, zero elsewhere. */
    private void scatter(INDArray g, INDArray target) {
        long d = g.size(3);
        INDArray padded = Nd4j.create(g.dataType(), batch, heads, (long) rows * block, d);
        INDArray blocks = padded.reshape('c', batch, heads, rows, block, d);
        INDArray cellsView = g.reshape('c', batch, heads, rows, cells, d);
        for (int h = 0; h < heads; h++) {
            blocks.get(NDArrayIndex.all(), NDArrayIndex.interval(h, h + 1), NDArrayIndex.all(),
                    NDArrayIndex.interval(firstCell(h), firstCell(h) + cells), NDArrayIndex.all())
                    .assign(cellsView.get(NDArrayIndex.all(), NDArrayIndex.interval(h, h + 1), NDArrayIndex.all(),
                            NDArrayIndex.all(), NDArrayIndex.all()));
        }
        target.assign(padded.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, len),
                NDArrayIndex.all()));
    }

    /**
     * Adds the pattern to the scores {@code [b, h, rows * l, rows * c]} in place, from masks of broadcastable shapes
     * (never a score-sized mask): a cell is a key if it is a real position (inside the sequence, not padding); when
     * causal, a query of block {@code n} sees the cells of blocks {@code < n} and those of its own block at or before
     * it (the diagonal blocks, a strided view of the scores).
     */
    private void addMask(INDArray s, DataType t) {
        long m = (long) rows * cells;
        long rowsB = keyMask == null ? 1 : keyMask.size(0);
        INDArray real = Nd4j.zeros(t, rowsB, (long) rows * block);                        // [b|1, rows * l]
        real.get(NDArrayIndex.all(), NDArrayIndex.interval(0, len))
                .assign(keyMask == null ? Nd4j.ones(t, 1, len) : keyMask.castTo(t).reshape(rowsB, len));
        INDArray realBlocks = real.reshape('c', rowsB, rows, block);
        INDArray keyOk = Nd4j.create(t, rowsB, heads, rows, cells);
        for (int h = 0; h < heads; h++) {                                                 // few heads
            keyOk.get(NDArrayIndex.all(), NDArrayIndex.point(h), NDArrayIndex.all(), NDArrayIndex.all())
                    .assign(realBlocks.get(NDArrayIndex.all(), NDArrayIndex.all(),
                            NDArrayIndex.interval(firstCell(h), firstCell(h) + cells)));
        }
        // one small additive mask per (batch, head, query block) over the cells, [b, h, rows, m]: padding and, when
        // causal, the blocks after the query's; added along the block's queries with a plain broadcast
        INDArray perBlock = Nd4j.zeros(t, batch, heads, rows, m)
                .addi(keyOk.subi(1.0).muli(-BlockBandAttention.MASKED).reshape('c', rowsB, heads, 1, m));
        if (causal) {
            INDArray n = Nd4j.arange(0, rows).castTo(t);
            INDArray later = Nd4j.zeros(t, rows, rows).addiRowVector(n).subiColumnVector(n.reshape(rows, 1));  // r - n
            perBlock.reshape('c', batch, heads, rows, rows, cells).addi(later.gt(0).castTo(t)
                    .muli(BlockBandAttention.MASKED).reshape(1, 1, rows, rows, 1));
        }
        Broadcast.add(s.reshape('c', batch * heads, rows, block, m), perBlock.reshape('c', batch * heads, rows, m),
                s.reshape('c', batch * heads, rows, block, m), 0, 1, 3);
        if (!causal) {
            return;
        }
        INDArray qq = Nd4j.arange(0, block).castTo(t).reshape(block, 1);
        INDArray own = Nd4j.create(t, 1, heads, 1, block, cells);                         // own block: cell <= qq
        for (int h = 0; h < heads; h++) {
            INDArray cell = Nd4j.arange(firstCell(h), firstCell(h) + cells).castTo(t).reshape(1, cells);
            own.get(NDArrayIndex.point(0), NDArrayIndex.point(h), NDArrayIndex.point(0), NDArrayIndex.all(),
                    NDArrayIndex.all()).assign(Nd4j.zeros(t, block, cells).addiRowVector(cell).subiColumnVector(qq)
                    .gt(0).castTo(t).muli(BlockBandAttention.MASKED));
        }
        INDArray diagonal = Views.view(s, 0, new long[] {batch, heads, rows, block, cells},
                new long[] {s.stride(0), s.stride(1), (long) block * m + cells, m, 1});
        diagonal.addi(own);
    }

    /**
     * Adds the document mask to the scores {@code [b, h, rows * l, rows * c]}: a query sees only the summary cells of
     * its own document ({@code [b, h, rows * l, rows * c]}, the scores' size; padding rows match nothing).
     */
    private void addDocuments(INDArray s, DataType t) {
        long m = (long) rows * cells;
        INDArray seg = Segments.padded(segments, t, 0, (long) rows * block);             // [b, rows * l]
        INDArray segBlocks = seg.reshape('c', batch, rows, block);
        INDArray cellDocs = Nd4j.create(t, batch, heads, rows, cells);
        for (int h = 0; h < heads; h++) {                                                 // few heads
            cellDocs.get(NDArrayIndex.all(), NDArrayIndex.point(h), NDArrayIndex.all(), NDArrayIndex.all())
                    .assign(segBlocks.get(NDArrayIndex.all(), NDArrayIndex.all(),
                            NDArrayIndex.interval(firstCell(h), firstCell(h) + cells)));
        }
        s.addi(Segments.additive(seg.reshape('c', batch, 1, (long) rows * block, 1),
                cellDocs.reshape('c', batch, heads, 1, m), t, batch, heads, (long) rows * block, m));
    }
}
