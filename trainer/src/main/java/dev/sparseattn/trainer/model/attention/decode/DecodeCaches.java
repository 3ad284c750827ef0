package dev.sparseattn.trainer.model.attention.decode;

import dev.sparseattn.trainer.model.attention.AttentionSpec;
import org.nd4j.linalg.api.buffer.DataType;

/** Builds the decode cache of an {@link AttentionSpec} (causal patterns only). */
public final class DecodeCaches {

    private DecodeCaches() {
    }

    /**
     * A new cache for one layer.
     *
     * @param batch     rows decoded together
     * @param heads     attention heads
     * @param headDim   dimension per head
     * @param perRow    each row's extra global tokens (positions from the start) for patterns that have them, or null
     * @param type      the model's data type: keys and values are stored as doubles for DOUBLE, as floats otherwise
     *                  (LSH also rounds its rotations to it)
     * @param capacity  initial positions per row of the growing caches (they grow when exceeded)
     */
    public static DecodeCache create(AttentionSpec spec, int batch, int heads, int headDim, int[][] perRow,
                                     DataType type, int capacity) {
        if (!spec.causal()) {
            throw new IllegalArgumentException("incremental decoding needs a causal pattern; " + spec.kind()
                    + " is bidirectional (each position reads later ones)");
        }
        if (perRow != null && spec.kind() != AttentionSpec.Kind.SLIDING_WINDOW
                && spec.kind() != AttentionSpec.Kind.BIGBIRD) {
            throw new IllegalArgumentException(spec.kind() + " has no global tokens");
        }
        int[] global = spec.globalPositions().stream().mapToInt(Integer::intValue).toArray();
        switch (spec.kind()) {
            case DENSE:
                return new DenseCausalCache(batch, heads, headDim, capacity, type);
            case SLIDING_WINDOW:
                int[] dilations = spec.dilations().stream().mapToInt(Integer::intValue).toArray();
                return new SlidingWindowCache(batch, heads, headDim, spec.window(), dilations, global, perRow, type);
            case STRIDED:
                return new StridedCache(batch, heads, headDim, spec.stride(), capacity, type);
            case FIXED:
                return new FixedCache(batch, heads, headDim, spec.stride(), spec.summary(), spec.summaryPerHead(),
                        capacity, type);
            case BIGBIRD:
                return new BigBirdCache(batch, heads, headDim, spec.blockSize() > 0 ? spec.blockSize() : 64,
                        spec.window(), spec.randomBlocks(), spec.seed(), global, perRow, capacity, type);
            case LSH:
                return new LshCache(batch, heads, headDim, spec.nHashes(), spec.nBuckets(), spec.chunk(), spec.seed(),
                        type, capacity);
            default:
                throw new UnsupportedOperationException("no decode cache for " + spec.kind());
        }
    }
}
