package dev.sparseattn.trainer.model.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.trainer.model.SingleThreadNd4j;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Every pattern through its spec: JSON, the kernel it builds, and DL4J's gradient check on a network using them. */
@ExtendWith(SingleThreadNd4j.class)
class AttentionSpecTest {

    @Test
    void everyKindSurvivesJsonAndBuildsItsKernel() {
        AttentionSpec[] specs = {
            AttentionSpec.denseCausal(),
            AttentionSpec.slidingWindow(4, false).withDilations(1, 2).withGlobal(0, -1),
            AttentionSpec.strided(4, true),
            AttentionSpec.fixed(4, 2, true, true),
            AttentionSpec.bigBird(4, 1, 2, 99, false).withGlobal(0),
            AttentionSpec.lsh(2, 4, 8, 5, true)};
        Class<?>[] kernels = {DenseCausalAttention.class, SlidingWindowAttention.class, HeadSplitAttention.class,
            HeadSplitAttention.class, BigBirdAttention.class, LshAttention.class};
        for (int i = 0; i < specs.length; i++) {
            assertEquals(specs[i], AttentionSpec.fromJson(specs[i].toJson()));
            assertInstanceOf(kernels[i], Attentions.create(specs[i], 2));
        }
        assertEquals(2, AttentionSpec.slidingWindow(4, true).withDilations(1, 2).dilation(1, 2));
        assertThrows(IllegalArgumentException.class, () -> AttentionSpec.slidingWindow(-1, true));
        assertThrows(IllegalArgumentException.class,
                () -> new TransformerConfig(7, 9, 8, 2, 3, 4, 1).withAttention(AttentionSpec.denseCausal(),
                        AttentionSpec.denseCausal()));
    }

    @Test
    void networkWithBigBirdAndLshPassesDl4jGradientCheck() {
        assertTrue(NetworkGradientCheck.passes(AttentionSpec.bigBird(2, 1, 1, 3, true).withGlobal(0),
                AttentionSpec.lsh(2, 2, 3, 4, true)), "gradient check failed; see the log");
    }
}
