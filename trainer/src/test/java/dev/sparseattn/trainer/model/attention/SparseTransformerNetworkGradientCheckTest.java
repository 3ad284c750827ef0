package dev.sparseattn.trainer.model.attention;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.trainer.model.SingleThreadNd4j;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * DL4J's numerical gradient check (double) on whole networks whose layers use the Sparse Transformer's strided and
 * fixed patterns (heads split between the two factors, one head each), causal and bidirectional, as DL4J trains
 * them; length 9 is not a multiple of the strides.
 */
@ExtendWith(SingleThreadNd4j.class)
class SparseTransformerNetworkGradientCheckTest {

    @Test
    void causalStridedAndFixedNetwork() {
        assertTrue(NetworkGradientCheck.passes(AttentionSpec.strided(4, true), AttentionSpec.fixed(4, 2, true, true)),
                "gradient check failed; see the log for the failing parameters");
    }

    @Test
    void bidirectionalStridedAndFixedNetwork() {
        assertTrue(NetworkGradientCheck.passes(AttentionSpec.strided(3, false),
                AttentionSpec.fixed(3, 1, false, false)), "gradient check failed; see the log for the failing parameters");
    }
}
