package dev.sparseattn.trainer.model.network;

import dev.sparseattn.trainer.model.network.TransformerConfig;
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
 * @param residual  {@link Residual#STANDARD} blocks (GPT-2) or {@link Residual#REVERSIBLE} ones (Gomez et al. 2017;
 *                  Kitaev et al. 2020, "Reformer"); absent in JSON: standard
 * @param positions {@link Positions#LEARNED} absolute position table, {@link Positions#AXIAL} factorised tables
 *                  (Reformer) or {@link Positions#ROTARY} (RoPE, no table); absent in JSON: learned
 * @param axialShape axial positions: the factor sizes, whose product must be {@code seqLen}; empty otherwise
 * @param tiedEmbeddings the output projection is the transpose of the token embedding table (Press &amp; Wolf 2017)
 * @param ffnChunk  rows of the sequence the feed-forward branch processes at a time; 0 = all at once
 * @param lossChunk rows the output projection and loss process at a time; 0 = all at once
 * @param dropout   dropout rate on each residual branch's output while training, in [0, 1); 0 = off
 */
public record TransformerConfig(int vocabSize, int seqLen, int dModel, int nHeads, int nLayers, int ffnHidden,
                                long seed, List<AttentionSpec> attention, Residual residual, Positions positions,
                                List<Integer> axialShape, boolean tiedEmbeddings, int ffnChunk, int lossChunk,
                                double dropout) {

    /** How a block adds its branches to the residual stream. */
    public enum Residual {
        /** {@code x1 = x + F(x); y = x1 + G(x1)}: every layer's activations are kept for backpropagation. */
        STANDARD,
        /**
         * {@code y1 = x1 + F(x2); y2 = x2 + G(y1)}: inputs are reconstructed from outputs in the backward pass, so
         * training memory does not grow with depth (RevNet, Gomez et al. 2017; Reformer, Kitaev et al. 2020).
         */
        REVERSIBLE
    }

    /** How positions are embedded. */
    public enum Positions {
        /** One learned vector per position, {@code [seqLen, dModel]} (GPT-2). */
        LEARNED,
        /**
         * Axial (factorised) learned positions as in Reformer/trax: one table {@code [s_j, d_j]} per factor
         * {@code s_j} of {@code axialShape}; a position's embedding concatenates its rows of every table.
         */
        AXIAL,
        /**
         * Rotary positions (RoPE, Su et al. 2021, "RoFormer"): no position table; each attention branch rotates its
         * queries and keys by their absolute position, so attention scores depend on relative positions only and a
         * model can decode past {@code seqLen}.
         */
        ROTARY
    }

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
        residual = residual == null ? Residual.STANDARD : residual;
        positions = positions == null ? Positions.LEARNED : positions;
        axialShape = axialShape == null ? List.of() : List.copyOf(axialShape);
        if (positions == Positions.AXIAL) {
            require(axialShape.size() >= 2, "axialShape needs at least 2 factors for AXIAL positions, got " + axialShape);
            long product = 1;
            for (int s : axialShape) {
                require(s >= 1, "axialShape factors must be >= 1, got " + axialShape);
                product *= s;
            }
            require(product == seqLen, "axialShape " + axialShape + " must multiply to seqLen (" + seqLen + "), got "
                    + product);
            require(dModel >= axialShape.size(), "axialShape: dModel (" + dModel + ") must be >= the number of factors ("
                    + axialShape.size() + ")");
        } else {
            require(axialShape.isEmpty(), "axialShape is only used with AXIAL positions, got " + axialShape);
        }
        require(positions != Positions.ROTARY || (dModel / nHeads) % 2 == 0,
                "rotary positions need an even head dimension (dModel / nHeads), got " + dModel / nHeads);
        require(ffnChunk >= 0, "ffnChunk must be >= 0 (0 = unchunked), got " + ffnChunk);
        require(lossChunk >= 0, "lossChunk must be >= 0 (0 = unchunked), got " + lossChunk);
        require(dropout >= 0 && dropout < 1, "dropout must be in [0, 1), got " + dropout);
    }

    /** Today's model (standard residual, learned positions, untied, unchunked, no dropout) with these patterns. */
    public TransformerConfig(int vocabSize, int seqLen, int dModel, int nHeads, int nLayers, int ffnHidden,
                             long seed, List<AttentionSpec> attention) {
        this(vocabSize, seqLen, dModel, nHeads, nLayers, ffnHidden, seed, attention, Residual.STANDARD,
                Positions.LEARNED, List.of(), false, 0, 0, 0.0);
    }

    /** Dense causal attention in every layer. */
    public TransformerConfig(int vocabSize, int seqLen, int dModel, int nHeads, int nLayers, int ffnHidden,
                             long seed) {
        this(vocabSize, seqLen, dModel, nHeads, nLayers, ffnHidden, seed, List.of());
    }

    /** This configuration with the given attention pattern(s): one for all layers, or one per layer. */
    public TransformerConfig withAttention(AttentionSpec... perLayer) {
        return new TransformerConfig(vocabSize, seqLen, dModel, nHeads, nLayers, ffnHidden, seed, List.of(perLayer),
                residual, positions, axialShape, tiedEmbeddings, ffnChunk, lossChunk, dropout);
    }

    /** This configuration with the given residual kind. */
    public TransformerConfig withResidual(Residual kind) {
        return new TransformerConfig(vocabSize, seqLen, dModel, nHeads, nLayers, ffnHidden, seed, attention, kind,
                positions, axialShape, tiedEmbeddings, ffnChunk, lossChunk, dropout);
    }

    /** This configuration with learned absolute positions. */
    public TransformerConfig withLearnedPositions() {
        return new TransformerConfig(vocabSize, seqLen, dModel, nHeads, nLayers, ffnHidden, seed, attention, residual,
                Positions.LEARNED, List.of(), tiedEmbeddings, ffnChunk, lossChunk, dropout);
    }

    /** This configuration with rotary positions (RoPE, no position table). */
    public TransformerConfig withRotaryPositions() {
        return new TransformerConfig(vocabSize, seqLen, dModel, nHeads, nLayers, ffnHidden, seed, attention, residual,
                Positions.ROTARY, List.of(), tiedEmbeddings, ffnChunk, lossChunk, dropout);
    }

    /** This configuration with axial positions of the given factor sizes (product {@code seqLen}). */
    public TransformerConfig withAxialPositions(Integer... shape) {
        return new TransformerConfig(vocabSize, seqLen, dModel, nHeads, nLayers, ffnHidden, seed, attention, residual,
                Positions.AXIAL, List.of(shape), tiedEmbeddings, ffnChunk, lossChunk, dropout);
    }

    /** This configuration with (or without) the output projection tied to the token embedding table. */
    public TransformerConfig withTiedEmbeddings(boolean tied) {
        return new TransformerConfig(vocabSize, seqLen, dModel, nHeads, nLayers, ffnHidden, seed, attention, residual,
                positions, axialShape, tied, ffnChunk, lossChunk, dropout);
    }

    /** This configuration with feed-forward chunks of {@code rows} rows (0 = unchunked). */
    public TransformerConfig withFfnChunk(int rows) {
        return new TransformerConfig(vocabSize, seqLen, dModel, nHeads, nLayers, ffnHidden, seed, attention, residual,
                positions, axialShape, tiedEmbeddings, rows, lossChunk, dropout);
    }

    /** This configuration with output projection + loss chunks of {@code rows} rows (0 = unchunked). */
    public TransformerConfig withLossChunk(int rows) {
        return new TransformerConfig(vocabSize, seqLen, dModel, nHeads, nLayers, ffnHidden, seed, attention, residual,
                positions, axialShape, tiedEmbeddings, ffnChunk, rows, dropout);
    }

    /** This configuration with branch dropout at {@code rate} (0 = off). */
    public TransformerConfig withDropout(double rate) {
        return new TransformerConfig(vocabSize, seqLen, dModel, nHeads, nLayers, ffnHidden, seed, attention, residual,
                positions, axialShape, tiedEmbeddings, ffnChunk, lossChunk, rate);
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
