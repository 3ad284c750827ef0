package dev.sparseattn.trainer.model.attention.decode;

import org.nd4j.linalg.api.buffer.DataType;

/**
 * Decode cache of the Sparse Transformer's causal fixed pattern (Child et al. 2019, section 4.2), heads split as
 * {@link dev.sparseattn.trainer.model.attention.Attentions} does. The first {@code H - H/2} heads read their own
 * block of {@code l} up to the query ({@code floor(i / l) l .. i}): a ring of {@code l} slots. The others read the
 * summary cells {@code j mod l in [f, f + c)} of every block at or before the query ({@code j <= i}), with
 * {@code f = l - c (g + 1)}, {@code g} the head's group when summaries differ per head
 * ({@link dev.sparseattn.trainer.model.attention.SummaryColumnAttention#firstCell}), else 0: only those cells are
 * kept, {@code c} per block, cell {@code x} of block {@code n} in slot {@code n c + x - f}.
 */
public final class FixedCache extends DecodeCache {

    private final int block;
    private final int cells;
    private final boolean perHead;
    private final int localHeads;

    /** @param storage the model's data type (keys and values stored as floats or doubles) */
    public FixedCache(int batch, int heads, int dim, int block, int cells, boolean perHead, int capacity,
                      DataType storage) {
        super(batch, heads, dim, Math.max(block, capacity), true, storage);
        if (block < 1 || cells < 1 || cells > block) {
            throw new IllegalArgumentException("need 1 <= summary cells (" + cells + ") <= block (" + block + ")");
        }
        this.block = block;
        this.cells = cells;
        this.perHead = perHead;
        this.localHeads = heads - heads / 2;
    }

    /** First summary cell of head {@code h} (counted over all heads). */
    private int firstCell(int h) {
        int group = perHead ? (h - localHeads) % (block / cells) : 0;
        return block - cells * (group + 1);
    }

    @Override
    protected int slot(int b, int h, int p) {
        if (h < localHeads) {
            return p % block;
        }
        int x = p % block - firstCell(h);
        return x >= 0 && x < cells ? (p / block) * cells + x : -1;
    }

    @Override
    protected void collect(int b, int h, int i, Slots out) {
        if (h < localHeads) {
            for (int j = (i / block) * block; j <= i; j++) {
                out.add(j % block);
            }
            return;
        }
        int f = firstCell(h);
        int n = i / block;
        out.addRange(0, n * cells);                                   // the cells of earlier blocks
        for (int j = n * block + f; j < n * block + f + cells && j <= i; j++) {
            out.add(slot(b, h, j));                                   // own block: cells at or before i
        }
    }
}
