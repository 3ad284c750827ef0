package dev.sparseattn.trainer.model;

import dev.sparseattn.trainer.model.attention.AttentionSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.nd4j.shade.jackson.databind.DeserializationFeature;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * Architecture of a GPT-style decoder-only language model (Radford et al. 2019, "Language Models are
 * Unsupervised Multitask Learners"; blocks as in Vaswani et al. 2017, "Attention Is All You Need", with
 * pre-LayerNorm). Optimisation settings (learning rate, updater, clipping) are deliberately absent: they
 * belong to the trainer.
 *
 * @param vocabSize number of token ids, {@code 0 .. vocabSize-1}
 * @param seqLen    maximum context length (size of the learned position table); shorter inputs are fine
 * @param dModel    width of the residual stream
 * @param nHeads    attention heads; must divide {@code dModel}
 * @param nLayers   number of transformer blocks
 * @param ffnHidden hidden width of each block's feed-forward network (GPT-2: {@code 4 * dModel})
 * @param seed      seed of the parameter initialisation
 * @param attention attention pattern per layer: empty (or absent in JSON) for dense causal everywhere, one spec
 *                  for every layer, or one per layer
 */
public record TransformerConfig(int vocabSize, int seqLen, int dModel, int nHeads, int nLayers, int ffnHidden,
                                long seed, List<AttentionSpec> attention) {

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

    public TransformerConfig {
        require(vocabSize >= 2, "vocabSize must be >= 2, got " + vocabSize);
        require(seqLen >= 1, "seqLen must be >= 1, got " + seqLen);
        require(dModel >= 1, "dModel must be >= 1, got " + dModel);
        require(nHeads >= 1, "nHeads must be >= 1, got " + nHeads);
        require(dModel % nHeads == 0, "dModel (" + dModel + ") must be divisible by nHeads (" + nHeads + ")");
        require(nLayers >= 1, "nLayers must be >= 1, got " + nLayers);
        require(ffnHidden >= 1, "ffnHidden must be >= 1, got " + ffnHidden);
        attention = attention == null ? List.of() : List.copyOf(attention);
        require(attention.size() <= 1 || attention.size() == nLayers,
                "attention needs 0, 1 or nLayers (" + nLayers + ") specs, got " + attention.size());
    }

    /** Dense causal attention in every layer. */
    public TransformerConfig(int vocabSize, int seqLen, int dModel, int nHeads, int nLayers, int ffnHidden,
                             long seed) {
        this(vocabSize, seqLen, dModel, nHeads, nLayers, ffnHidden, seed, List.of());
    }

    /** This configuration with the given attention pattern(s): one for all layers, or one per layer. */
    public TransformerConfig withAttention(AttentionSpec... perLayer) {
        return new TransformerConfig(vocabSize, seqLen, dModel, nHeads, nLayers, ffnHidden, seed, List.of(perLayer));
    }

    /** The attention pattern of layer {@code layer} (0-based). */
    public AttentionSpec attentionFor(int layer) {
        if (attention.isEmpty()) {
            return AttentionSpec.denseCausal();
        }
        return attention.size() == 1 ? attention.get(0) : attention.get(layer);
    }

    /** GPT-2 proportions: {@code ffnHidden = 4 * dModel}. */
    public static TransformerConfig gpt(int vocabSize, int seqLen, int dModel, int nHeads, int nLayers, long seed) {
        return new TransformerConfig(vocabSize, seqLen, dModel, nHeads, nLayers, 4 * dModel, seed);
    }

    /** Width of one attention head, {@code dModel / nHeads}. */
    public int headDim() {
        return dModel / nHeads;
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static TransformerConfig fromJson(String json) {
        try {
            return JSON.readValue(json, TransformerConfig.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("not a TransformerConfig JSON: " + json, e);
        }
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
