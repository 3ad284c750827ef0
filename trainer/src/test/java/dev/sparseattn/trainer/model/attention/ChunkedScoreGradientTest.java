package dev.sparseattn.trainer.model.attention;

import dev.sparseattn.trainer.model.SingleThreadNd4j;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The backward passes overwrite the probabilities with the score gradients a chunk at a time, and LSH builds its
 * mask a few slices at a time ({@link Views#chunkElements}). At test sizes one chunk covers everything, so here the
 * chunk is made tiny (one block or row or slice at a time, and a few at a time) and every pattern must still equal
 * masked dense; the block-band kernels also add their band and range masks separately, as for very long sequences.
 */
@ExtendWith(SingleThreadNd4j.class)
class ChunkedScoreGradientTest {

    private static final int B = 2;
    private static final int H = 4;
    private static final int HD = 4;
    private long saved;
    private long savedFused;
    private int savedFold;

    @BeforeEach
    void tinyChunks() {
        saved = Views.chunkElements;
        savedFused = BlockBandAttention.FUSED_MASK_ELEMENTS;
        savedFold = BlockBandAttention.FOLD_BLOCKS;
        BlockBandAttention.FUSED_MASK_ELEMENTS = 0;      // band and range masks added separately
        Nd4j.getRandom().setSeed(11);
    }

    @AfterEach
    void restore() {
        Views.chunkElements = saved;
        BlockBandAttention.FUSED_MASK_ELEMENTS = savedFused;
        BlockBandAttention.FOLD_BLOCKS = savedFold;
    }

    @Test
    void everyPatternEqualsMaskedDenseWithTinyChunks() {
        for (long chunk : new long[] {1, 300}) {
            Views.chunkElements = chunk;
            for (boolean causal : new boolean[] {true, false}) {
                String what = " chunk=" + chunk + " causal=" + causal;
                int[] global = {0, -1};
                BigBirdAttention bb = new BigBirdAttention(4, 1, 2, 5, causal).withGlobal(global);
                INDArray bbMask = BigBirdAttentionTest.mask(bb, 27, 4, 1, causal, global, null);
                AttentionCheck.assertMatches(bb, new MaskedDenseAttention((b, h, l) -> bbMask), B, H, 27, HD,
                        DataType.DOUBLE, 1e-9, "bigbird" + what);
                INDArray swMask = AttentionCheck.slidingMask(19, 3, causal, new int[] {1, 2, 1, 2}, H, null, global);
                AttentionCheck.assertMatches(Attentions.create(AttentionSpec.slidingWindow(3, causal).withDilations(1, 2, 1, 2)
                                .withGlobal(0, -1), H), new MaskedDenseAttention((b, h, l) -> swMask), B, H, 19, HD,
                        DataType.DOUBLE, 1e-9, "sliding" + what);
                for (AttentionSpec spec : new AttentionSpec[] {AttentionSpec.strided(4, causal),
                    AttentionSpec.fixed(4, 2, true, causal)}) {
                    INDArray mask = SparseTransformerAttentionTest.mask(spec, 15);
                    AttentionCheck.assertMatches(Attentions.create(spec, H), new MaskedDenseAttention((b, h, l) -> mask), B,
                            H, 15, HD, DataType.DOUBLE, 1e-9, spec.kind() + what);
                }
                LshAttentionTest.check(new LshAttention(2, 4, 3, causal, 7), 14, 3, causal, DataType.DOUBLE, 1e-9,
                        false, KeyPaddingMaskTest.keyMask(2, 14));
                LshAttentionTest.check(new LshAttention(3, 2, 4, causal, 8), 17, 4, causal, DataType.FLOAT, 1e-5,
                        false);
            }
        }
    }

    @Test
    void keyBlockFoldInShortRunsEqualsMaskedDense() {
        BlockBandAttention.FUSED_MASK_ELEMENTS = savedFused;  // the one-product path, whose fold runs over blocks
        for (int run : new int[] {1, 2, 3}) {
            BlockBandAttention.FOLD_BLOCKS = run;             // 7 query blocks: runs of 1, 2 (+ 1 short), 3 (+ 1)
            for (boolean causal : new boolean[] {true, false}) {
                String what = " fold run=" + run + " causal=" + causal;
                BigBirdAttention bb = new BigBirdAttention(4, 1, 2, 5, causal).withGlobal(0, -1);
                INDArray bbMask = BigBirdAttentionTest.mask(bb, 27, 4, 1, causal, new int[] {0, -1}, null);
                AttentionCheck.assertMatches(bb, new MaskedDenseAttention((b, h, l) -> bbMask), B, H, 27, HD,
                        DataType.DOUBLE, 1e-9, "bigbird" + what);
                INDArray swMask = AttentionCheck.slidingMask(27, 4, causal, new int[] {1}, H, null, new int[0]);
                AttentionCheck.assertMatches(new SlidingWindowAttention(4, causal, 4),
                        new MaskedDenseAttention((b, h, l) -> swMask), B, H, 27, HD, DataType.DOUBLE, 1e-9,
                        "sliding" + what);
            }
        }
    }
}
