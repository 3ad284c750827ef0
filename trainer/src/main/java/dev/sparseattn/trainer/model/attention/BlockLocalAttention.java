package dev.sparseattn.trainer.model.attention;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The first factor of the Sparse Transformer's fixed pattern (Child et al. 2019, section 4.2,
 * {@code A(1)_i = {j : floor(j / l) = floor(i / l)}}): each query attends within its own block of {@code l}
 * (to earlier positions only when causal). One block against itself: O(L * l).
 */
public final class BlockLocalAttention extends BlockBandAttention {

    private final int block;
    private final boolean causal;

    public BlockLocalAttention(int block, boolean causal) {
        if (block < 1) {
            throw new IllegalArgumentException("block must be >= 1, got " + block);
        }
        this.block = block;
        this.causal = causal;
    }

    @Override
    protected BlockGeometry geometry(int len) {
        int size = Math.min(block, len);        // one block when l >= L
        return new BlockGeometry(len, size, (len + size - 1) / size, 0, 0);
    }

    @Override
    protected boolean causal() {
        return causal;
    }

    @Override
    protected INDArray bandMask(BlockGeometry g, int heads, DataType type) {
        return causalBandMask(g, type, causal);
    }
}
