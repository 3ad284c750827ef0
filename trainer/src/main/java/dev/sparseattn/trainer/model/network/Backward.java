package dev.sparseattn.trainer.model.network;

/**
 * How a stack of reversible blocks obtains what its backward pass needs. Both compute the same function and, up to
 * rounding, the same gradients; only memory differs.
 */
public enum Backward {
    /**
     * Keep only the last block's outputs (and per-layer replay data: dropout seeds, LSH buckets); each block's inputs
     * are reconstructed from its outputs and its branches recomputed during the backward pass (Gomez et al. 2017,
     * "The Reversible Residual Network", Algorithm 1). Memory does not grow with depth.
     */
    RECONSTRUCT,
    /** Ordinary backpropagation: every block keeps its activations from the forward pass. For comparison and tests. */
    STORE
}
