package dev.sparseattn.trainer.model.attention.decode;

import org.nd4j.linalg.api.buffer.DataType;

/**
 * Decode cache of the Sparse Transformer's causal strided pattern (Child et al. 2019, "Generating Long Sequences with
 * Sparse Transformers", section 4.2), heads split as {@link dev.sparseattn.trainer.model.attention.Attentions} does:
 * the first {@code H - H/2} heads read the local span {@code i - l .. i}, the others the strided column
 * {@code i, i - l, i - 2l, .. >= 0}. Later strided queries of every residue read every earlier position, so every
 * key is kept (position {@code p} in slot {@code p}); memory grows with the context, a step reads
 * {@code l + 1} or {@code i / l + 1} keys per head.
 */
public final class StridedCache extends DecodeCache {

    private final int stride;
    private final int localHeads;

    /** @param storage the model's data type (keys and values stored as floats or doubles) */
    public StridedCache(int batch, int heads, int dim, int stride, int capacity, DataType storage) {
        super(batch, heads, dim, capacity, true, storage);
        if (stride < 1) {
            throw new IllegalArgumentException("stride must be >= 1, got " + stride);
        }
        this.stride = stride;
        this.localHeads = heads - heads / 2;
    }

    @Override
    protected int slot(int b, int h, int p) {
        return p;
    }

    @Override
    protected void collect(int b, int h, int i, Slots out) {
        if (h < localHeads) {
            out.addRange(Math.max(0, i - stride), i + 1);
        } else {
            for (int j = i; j >= 0; j -= stride) {
                out.add(j);
            }
        }
    }
}
