package dev.sparseattn.trainer.model.attention;

import org.nd4j.linalg.factory.Nd4j;

/** Builds the attention kernel of an {@link AttentionSpec}. */
public final class Attentions {

    private Attentions() {
    }

    /** A new, stateful kernel for a layer of {@code heads} heads. */
    public static Attention create(AttentionSpec spec, int heads) {
        switch (spec.kind()) {
            case DENSE:
                return spec.causal() ? new DenseCausalAttention()
                        : new MaskedDenseAttention((b, h, len) -> Nd4j.ones(1, 1, len, len));
            case SLIDING_WINDOW:
                int[] dilations = new int[heads];
                for (int h = 0; h < heads; h++) {
                    dilations[h] = spec.dilation(h, heads);
                }
                return new SlidingWindowAttention(spec.window(), spec.causal(), spec.blockSize(), dilations)
                        .withGlobal(spec.globalPositions().stream().mapToInt(Integer::intValue).toArray());
            case STRIDED:
                return new HeadSplitAttention(new int[] {heads - heads / 2, heads / 2},
                        new SlidingWindowAttention(spec.stride(), spec.causal(), spec.blockSize()),
                        new StridedColumnAttention(spec.stride(), spec.causal()));
            case FIXED:
                return new HeadSplitAttention(new int[] {heads - heads / 2, heads / 2},
                        new BlockLocalAttention(spec.stride(), spec.causal()),
                        new SummaryColumnAttention(spec.stride(), spec.summary(), spec.summaryPerHead(), spec.causal()));
            case BIGBIRD:
                return new BigBirdAttention(spec.blockSize() > 0 ? spec.blockSize() : 64, spec.window(),
                        spec.randomBlocks(), spec.seed(), spec.causal())
                        .withGlobal(spec.globalPositions().stream().mapToInt(Integer::intValue).toArray());
            case LSH:
                return new LshAttention(spec.nHashes(), spec.nBuckets(), spec.chunk(), spec.causal(), spec.seed());
            default:
                throw new UnsupportedOperationException("attention kind " + spec.kind() + " is not implemented");
        }
    }
}
