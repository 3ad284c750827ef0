package dev.sparseattn.trainer.model.network;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The absolute position embeddings of a network, for code outside it that embeds tokens itself (decoding). */
public final class PositionTable {

    private PositionTable() {
    }

    /**
     * Position embeddings of positions {@code 0 .. seqLen - 1} (learned or axial, as {@link Embeddings} adds them)
     * // [seqLen, d]; null for rotary positions (no table: the attention rotates q and k).
     */
    public static INDArray of(TransformerConfig config, Map<String, INDArray> params) {
        return new Embeddings(config).positions(config.seqLen(), params);
    }
}
