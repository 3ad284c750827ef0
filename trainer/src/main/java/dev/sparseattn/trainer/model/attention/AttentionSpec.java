package dev.sparseattn.trainer.model.attention;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.nd4j.shade.jackson.databind.DeserializationFeature;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * Which attention pattern a transformer layer uses, with its parameters; a plain value that survives JSON (it is
 * part of {@code TransformerConfig} and of each block's DL4J configuration). Build one with the factories
 * ({@link #denseCausal()}, {@link #slidingWindow(int, boolean)}, {@link #strided}, {@link #fixed}, {@link #bigBird},
 * {@link #lsh}) and the {@code with...} methods ({@link #withDilations}, {@link #withGlobal}, {@link #withBlockSize});
 * fields that a kind does not use are ignored. {@link Attentions#create} turns a spec into a kernel.
 *
 * @param kind            the pattern
 * @param causal          query {@code i} sees only keys {@code j <= i}
 * @param window          sliding window: one-sided reach {@code w} (keys {@code |i - j| <= w * dilation}, or
 *                        {@code 0 <= i - j <= w * dilation} when causal); BigBird: window blocks on each side
 * @param blockSize       query/key block size of the blocked kernels; 0 picks {@code min(window, L)} (BigBird: 64)
 * @param dilations       per-head dilation of the window (gaps of {@code d} between attended keys); empty means 1
 *                        for every head, one value applies to all heads, otherwise one value per head
 * @param globalPositions global tokens (attend to all, attended by all); negative values count from the end
 *                        ({@code -1} is the last position); positions outside the sequence are ignored
 * @param stride          Sparse Transformer stride/block length {@code l}
 * @param summary         Sparse Transformer "fixed": summary cells {@code c} per block
 * @param summaryPerHead  Sparse Transformer "fixed": heads use different groups of summary cells
 * @param randomBlocks    BigBird: random key blocks per query block
 * @param nHashes         LSH: hashing rounds
 * @param nBuckets        LSH: buckets per round
 * @param chunk           LSH: chunk length {@code m}
 * @param seed            seed of random choices (BigBird blocks, LSH rotations)
 */
public record AttentionSpec(Kind kind, boolean causal, int window, int blockSize, List<Integer> dilations,
                            List<Integer> globalPositions, int stride, int summary, boolean summaryPerHead, int randomBlocks, int nHashes,
                            int nBuckets, int chunk, long seed) {

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

    /** The implemented patterns. */
    public enum Kind {
        /** Full attention (Vaswani et al. 2017), causal or bidirectional: the O(L^2) reference. */
        DENSE,
        /** Longformer sliding window with optional per-head dilation and global tokens (Beltagy et al. 2020). */
        SLIDING_WINDOW,
        /**
         * Sparse Transformer "strided" (Child et al. 2019): the first {@code H - H/2} heads attend to the previous
         * {@code stride} positions, the others to every {@code stride}-th position.
         */
        STRIDED,
        /**
         * Sparse Transformer "fixed" (Child et al. 2019): the first {@code H - H/2} heads attend within their block of
         * {@code stride}, the others to the last {@code summary} cells of every block.
         */
        FIXED,
        /**
         * BigBird (Zaheer et al. 2020): blocks of {@code blockSize}, {@code window} neighbour blocks on each side,
         * {@code randomBlocks} random blocks per query block (from {@code seed}), and the global positions.
         */
        BIGBIRD,
        /**
         * Reformer LSH attention (Kitaev et al. 2020): shared-QK, {@code nHashes} rounds of {@code nBuckets} angular
         * LSH buckets from {@code seed}, chunks of {@code chunk}.
         */
        LSH
    }

    public AttentionSpec {
        if (kind == null) {
            throw new IllegalArgumentException("attention kind is required");
        }
        dilations = dilations == null ? List.of() : List.copyOf(dilations);
        globalPositions = globalPositions == null ? List.of() : List.copyOf(globalPositions);
        require(window >= 0, "window must be >= 0, got " + window);
        require(blockSize >= 0, "blockSize must be >= 0, got " + blockSize);
        for (int d : dilations) {
            require(d >= 1, "dilations must be >= 1, got " + dilations);
        }
        require(stride >= 0 && summary >= 0 && randomBlocks >= 0 && nHashes >= 0 && nBuckets >= 0 && chunk >= 0,
                "stride, summary, summaryPerHead, randomBlocks, nHashes, nBuckets and chunk must be >= 0");
    }

    /** The default: dense causal attention (GPT-2). */
    public static AttentionSpec denseCausal() {
        return new AttentionSpec(Kind.DENSE, true, 0, 0, List.of(), List.of(), 0, 0, false, 0, 0, 0, 0, 0);
    }

    /** Dense attention, causal or bidirectional. */
    public static AttentionSpec dense(boolean causal) {
        return new AttentionSpec(Kind.DENSE, causal, 0, 0, List.of(), List.of(), 0, 0, false, 0, 0, 0, 0, 0);
    }

    /** Longformer sliding window of one-sided reach {@code window}. */
    public static AttentionSpec slidingWindow(int window, boolean causal) {
        return new AttentionSpec(Kind.SLIDING_WINDOW, causal, window, 0, List.of(), List.of(), 0, 0, false, 0, 0, 0, 0,
                0);
    }

    /** Sparse Transformer strided pattern with stride {@code l}. */
    public static AttentionSpec strided(int stride, boolean causal) {
        return new AttentionSpec(Kind.STRIDED, causal, 0, 0, List.of(), List.of(), stride, 0, false, 0, 0, 0, 0, 0);
    }

    /** Sparse Transformer fixed pattern: blocks of {@code l}, {@code c} summary cells (per head if asked). */
    public static AttentionSpec fixed(int stride, int summary, boolean perHead, boolean causal) {
        return new AttentionSpec(Kind.FIXED, causal, 0, 0, List.of(), List.of(), stride, summary, perHead, 0, 0, 0, 0,
                0);
    }

    /** BigBird: blocks of {@code block}, {@code side} window blocks each side, {@code random} random blocks. */
    public static AttentionSpec bigBird(int block, int side, int random, long seed, boolean causal) {
        return new AttentionSpec(Kind.BIGBIRD, causal, side, block, List.of(), List.of(), 0, 0, false, random, 0, 0, 0,
                seed);
    }

    /** Reformer LSH attention. */
    public static AttentionSpec lsh(int nHashes, int nBuckets, int chunk, long seed, boolean causal) {
        return new AttentionSpec(Kind.LSH, causal, 0, 0, List.of(), List.of(), 0, 0, false, 0, nHashes, nBuckets, chunk,
                seed);
    }

    public AttentionSpec withSeed(long newSeed) {
        return new AttentionSpec(kind, causal, window, blockSize, dilations, globalPositions, stride, summary,
                summaryPerHead, randomBlocks, nHashes, nBuckets, chunk, newSeed);
    }

    public AttentionSpec withBlockSize(int size) {
        return new AttentionSpec(kind, causal, window, size, dilations, globalPositions, stride, summary, summaryPerHead,
                randomBlocks, nHashes, nBuckets, chunk, seed);
    }

    public AttentionSpec withDilations(Integer... perHead) {
        return new AttentionSpec(kind, causal, window, blockSize, List.of(perHead), globalPositions, stride, summary,
                summaryPerHead, randomBlocks, nHashes, nBuckets, chunk, seed);
    }

    public AttentionSpec withGlobal(Integer... positions) {
        return new AttentionSpec(kind, causal, window, blockSize, dilations, List.of(positions), stride, summary,
                summaryPerHead, randomBlocks, nHashes, nBuckets, chunk, seed);
    }

    /** Dilation of head {@code h} of {@code heads}. */
    public int dilation(int h, int heads) {
        if (dilations.isEmpty()) {
            return 1;
        }
        if (dilations.size() == 1) {
            return dilations.get(0);
        }
        if (dilations.size() != heads) {
            throw new IllegalArgumentException(dilations.size() + " dilations for " + heads + " heads");
        }
        return dilations.get(h);
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static AttentionSpec fromJson(String json) {
        try {
            return JSON.readValue(json, AttentionSpec.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("not an AttentionSpec JSON: " + json, e);
        }
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
