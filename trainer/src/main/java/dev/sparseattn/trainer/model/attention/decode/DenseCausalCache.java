package dev.sparseattn.trainer.model.attention.decode;

import org.nd4j.linalg.api.buffer.DataType;

/**
 * Decode cache of dense causal attention (Vaswani et al. 2017; GPT-2): every key and value, position {@code p} in
 * slot {@code p}; query {@code i} reads keys {@code 0 .. i}. Memory grows with the context (the store doubles its
 * capacity when full).
 */
public final class DenseCausalCache extends DecodeCache {

    /**
     * @param capacity initial positions per row (grows when exceeded)
     * @param storage  the model's data type (keys and values stored as floats or doubles)
     */
    public DenseCausalCache(int batch, int heads, int dim, int capacity, DataType storage) {
        super(batch, heads, dim, capacity, true, storage);
    }

    @Override
    protected int slot(int b, int h, int p) {
        return p;
    }

    @Override
    protected void collect(int b, int h, int i, Slots out) {
        out.addRange(0, i + 1);
    }
}
