package dev.sparseattn.trainer.model;

import dev.sparseattn.trainer.model.attention.AttentionSpec;
import dev.sparseattn.trainer.model.network.Backward;
import dev.sparseattn.trainer.model.network.LmLayer;
import dev.sparseattn.trainer.model.network.LmLayerConf;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import java.io.File;
import java.io.IOException;
import java.util.Arrays;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * Builds, feeds, queries and stores the causal transformer language model: a GPT-2-style decoder (Radford et al.
 * 2019) of pre-LayerNorm blocks (Vaswani et al. 2017), as a DL4J {@link MultiLayerNetwork} of ONE output layer that
 * holds the whole model ({@link LmLayerConf}: embeddings, blocks, final LayerNorm, output projection and loss), for
 * every {@link TransformerConfig}:
 * <pre>
 *   features  [batch, L]  token ids            features mask [batch, L]  0 at input padding (or none)
 *   labels    [batch, L]  target ids           labels mask   [batch, L]  0 at padded targets
 *   output    [batch, L, vocab] next-token probabilities (inference)
 * </pre>
 * Optimisation is the caller's: the updater is passed in, and nothing here trains.
 *
 * <p>Loss scale: DL4J's score (and gradient) is the cross-entropy summed over the unmasked target positions and
 * divided by the number of sequences; {@link #meanTokenLoss} converts it to the usual per-token mean (nats).
 */
public final class TransformerLM {

    /** Key of the {@link TransformerConfig} JSON stored inside a saved model zip. */
    public static final String CONFIG_KEY = "transformerConfig.json";

    private TransformerLM() {
    }

    /** A network in float32 with the given updater, initialised from {@code config.seed()}. */
    public static MultiLayerNetwork build(TransformerConfig config, IUpdater updater) {
        return build(config, updater, DataType.FLOAT);
    }

    /** A network of the given data type (DOUBLE for gradient checks) with the given updater, initialised. */
    public static MultiLayerNetwork build(TransformerConfig config, IUpdater updater, DataType dataType) {
        return build(config, updater, dataType, Backward.RECONSTRUCT);
    }

    /** As {@link #build(TransformerConfig, IUpdater, DataType)}, choosing how a reversible stack backpropagates. */
    public static MultiLayerNetwork build(TransformerConfig config, IUpdater updater, DataType dataType,
                                          Backward backward) {
        MultiLayerNetwork net = new MultiLayerNetwork(configuration(config, updater, dataType, backward));
        net.init();
        return net;
    }

    /** {@link #configuration(TransformerConfig, IUpdater, DataType, Backward)} with reconstructing reversible blocks. */
    public static MultiLayerConfiguration configuration(TransformerConfig config, IUpdater updater,
                                                        DataType dataType) {
        return configuration(config, updater, dataType, Backward.RECONSTRUCT);
    }

    /**
     * The network configuration. Workspaces are ENABLED for training and inference: the layer allocates its outputs
     * and gradients in DL4J's workspaces and its temporaries in its own scopes, which makes the many per-step
     * allocations cheap.
     */
    public static MultiLayerConfiguration configuration(TransformerConfig config, IUpdater updater,
                                                        DataType dataType, Backward backward) {
        LmLayerConf layer = new LmLayerConf(config, backward);
        layer.setLayerName("lm");
        return new NeuralNetConfiguration.Builder()
                .seed(config.seed())
                .dataType(dataType)
                .updater(updater)
                .trainingWorkspaceMode(WorkspaceMode.ENABLED)
                .inferenceWorkspaceMode(WorkspaceMode.ENABLED)
                .list()
                .layer(layer)
                .setInputType(InputType.feedForward(config.seqLen()))
                .build();
    }

    /**
     * The model layer of {@code net}.
     *
     * @throws IllegalArgumentException if {@code net} is not a network built here
     */
    public static LmLayer layer(MultiLayerNetwork net) {
        if (net.getnLayers() == 1 && net.getLayer(0) instanceof LmLayer lm) {
            return lm;
        }
        throw new IllegalArgumentException("not a transformer LM network (one LmLayerConf layer): "
                + net.getnLayers() + " layers, the first " + net.getLayer(0).getClass().getName());
    }

    /** The architecture of a network built here. */
    public static TransformerConfig config(MultiLayerNetwork net) {
        return ((LmLayerConf) layer(net).conf().getLayer()).model();
    }

    /** {@link #toDataSet(TransformerConfig, int[][], int, DataType)} in float32. */
    public static DataSet toDataSet(TransformerConfig config, int[][] rows, int padId) {
        return toDataSet(config, rows, padId, DataType.FLOAT);
    }

    /**
     * A next-token training batch from rows of {@code L + 1} token ids ({@code L <= seqLen}): features are
     * {@code tokens[0..L-1]} as {@code [batch, L]}; labels are the target ids {@code tokens[1..L]}, {@code [batch, L]};
     * the labels mask {@code [batch, L]} is 0 where the target is {@code padId}, so padding is ignored by the loss.
     * The features mask {@code [batch, L]} is 0 where the input token is {@code padId}: DL4J hands it to the layer,
     * and no attention attends to those positions; it is null when no input is padding (no mask work at all).
     * Padding belongs at the end of a row (learned positions count from the start of the row).
     */
    public static DataSet toDataSet(TransformerConfig config, int[][] rows, int padId, DataType dataType) {
        return tokenBatch(config, rows, padId, dataType);
    }

    /**
     * {@link #toDataSet(TransformerConfig, int[][], int, DataType)} of packed rows of several documents, with their
     * shards' segment ids ({@code segments[b]}: one per token of row {@code b}, -1 on padding; null for none): the
     * features mask then numbers the documents, 0 for padding and {@code k >= 1} for the {@code k}-th document of the
     * row, and every attention keeps each position within its document ({@code LmLayer}). The document of input
     * position {@code i} is that of its target, token {@code i + 1}: the last token of a document (its EOS) predicts
     * the next document's first token seeing only itself, like a BOS, so the packed loss is the sum of the losses of
     * the documents alone (each led by the preceding EOS); that first-token loss is kept. A row of one document
     * without padding is all 1, as without segments.
     */
    public static DataSet toDataSet(TransformerConfig config, int[][] rows, int[][] segments, int padId,
                                    DataType dataType) {
        DataSet ds = tokenBatch(config, rows, padId, dataType);
        if (segments == null) {
            return ds;
        }
        if (segments.length != rows.length) {
            throw new IllegalArgumentException(segments.length + " rows of segment ids for " + rows.length + " rows");
        }
        int len = rows[0].length - 1;
        double[][] docs = new double[rows.length][len];
        boolean plain = true;
        for (int b = 0; b < rows.length; b++) {
            if (segments[b] == null || segments[b].length != rows[b].length) {
                throw new IllegalArgumentException("row " + b + ": segment ids must be one per token ("
                        + rows[b].length + ")");
            }
            java.util.Map<Integer, Integer> rank = new java.util.HashMap<>();
            for (int i = 0; i < len; i++) {
                if (rows[b][i] == padId) {
                    plain = false;
                    continue;                                                          // padding: 0
                }
                int doc = segments[b][i + 1] >= 0 ? segments[b][i + 1] : segments[b][i];
                docs[b][i] = 1 + rank.computeIfAbsent(doc, x -> rank.size());
                plain &= docs[b][i] == 1;
            }
        }
        ds.setFeaturesMaskArray(plain ? null : Nd4j.createFromArray(docs).castTo(dataType));
        return ds;
    }

    private static DataSet tokenBatch(TransformerConfig config, int[][] rows, int padId, DataType dataType) {
        if (rows.length == 0) {
            throw new IllegalArgumentException("rows must not be empty");
        }
        int width = rows[0].length;
        if (width < 2 || width > config.seqLen() + 1) {
            throw new IllegalArgumentException("rows must hold 2.." + (config.seqLen() + 1) + " tokens, got " + width);
        }
        for (int[] row : rows) {
            if (row.length != width) {
                throw new IllegalArgumentException("all rows must have the same length " + width + ", got " + row.length);
            }
        }
        INDArray tokens = Nd4j.createFromArray(rows);                                   // [batch, L + 1] int32
        checkTokenRange(tokens, config.vocabSize());
        long len = width - 1L;
        INDArray inputs = tokens.get(NDArrayIndex.all(), NDArrayIndex.interval(0, len));
        INDArray features = inputs.castTo(dataType);                                    // [batch, L]
        INDArray featuresMask = paddingMask(inputs, padId, dataType);                   // [batch, L] or null
        INDArray targets = tokens.get(NDArrayIndex.all(), NDArrayIndex.interval(1, len + 1)).dup('c');
        INDArray mask = targets.neq(padId).castTo(dataType);                           // [batch, L]
        return new DataSet(features, targets.castTo(dataType), featuresMask, mask);      // labels: ids [batch, L]
    }

    /** 1 for a real input token, 0 for {@code padId}, {@code [batch, L]}; null when there is no padding. */
    private static INDArray paddingMask(INDArray inputs, int padId, DataType dataType) {
        INDArray real = inputs.neq(padId).castTo(dataType);                             // [batch, L]
        return real.minNumber().doubleValue() == 0 ? real : null;
    }

    /** Converts DL4J's score of a batch (summed over tokens, averaged over sequences) to the mean loss per token. */
    public static double meanTokenLoss(double score, DataSet batch) {
        double tokens = batch.getLabelsMaskArray() == null
                ? batch.getLabels().size(0) * batch.getLabels().size(1)
                : batch.getLabelsMaskArray().sumNumber().doubleValue();
        return score * batch.getFeatures().size(0) / tokens;
    }

    /**
     * Summed negative log-likelihood (nats) of the unmasked targets of {@code batch} (from {@link #toDataSet}), and
     * their count, with the batch's features (padding) mask applied as in training. Computed row chunk by row chunk
     * from the target ids (DL4J's per-example scores), never holding {@code [N, vocab]} probabilities.
     */
    public static double[] sumNats(MultiLayerNetwork net, DataSet batch) {
        layer(net);
        INDArray mask = batch.getLabelsMaskArray();
        double tokens = mask == null ? batch.getLabels().size(0) * batch.getLabels().size(1)
                : mask.sumNumber().doubleValue();
        return new double[] {net.scoreExamples(batch, false).sumNumber().doubleValue(), tokens};
    }

    /**
     * Per-target negative log-likelihood (nats) of {@code batch} (from {@link #toDataSet}), {@code [batch, L]}, 0 at
     * masked (padded) targets, with the features mask applied as in training: each row sums exactly to its
     * {@link #sumNats} share (the same computation, DL4J's per-example score before its row sum).
     */
    public static INDArray tokenNats(MultiLayerNetwork net, DataSet batch) {
        LmLayer lm = layer(net);
        lm.setInput(batch.getFeatures(), LayerWorkspaceMgr.noWorkspaces());
        lm.setLabels(batch.getLabels());
        lm.setMaskArray(batch.getLabelsMaskArray());
        lm.feedForwardMaskArray(batch.getFeaturesMaskArray(), MaskState.Active, (int) batch.getFeatures().size(0));
        try {
            return lm.tokenNats();
        } finally {
            lm.clear();
            lm.setMaskArray(null);
            lm.setLabels(null);
        }
    }

    /**
     * Final hidden states {@code [batch, L, d]} (after the final LayerNorm: what the output projection reads) of the
     * inputs of {@code batch} (from {@link #toDataSet}), padded keys excluded from attention as in scoring. Read only;
     * the same forward as scoring, no second model.
     */
    public static INDArray hiddenStates(MultiLayerNetwork net, DataSet batch) {
        return layer(net).finalHiddenStates(batch.getFeatures(), batch.getFeaturesMaskArray());
    }

    /**
     * Log-probabilities of the next token after {@code context} (length {@code vocab}), computed from the logits
     * at the last position in double. Only the last {@code seqLen} tokens of the context are used.
     */
    public static double[] nextTokenLogProbs(MultiLayerNetwork net, int[] context) {
        if (context.length == 0) {
            throw new IllegalArgumentException("context must hold at least one token");
        }
        int seqLen = config(net).seqLen();
        int[] window = Arrays.copyOfRange(context, Math.max(0, context.length - seqLen), context.length);
        return layer(net).nextTokenLogProbs(Nd4j.createFromArray(new int[][] {window}).castTo(net.params().dataType()));
    }

    /** Saves the network with its updater state (so training can resume), see {@link #save(MultiLayerNetwork, TransformerConfig, File, boolean)}. */
    public static void save(MultiLayerNetwork net, TransformerConfig config, File file) throws IOException {
        save(net, config, file, true);
    }

    /**
     * Saves the network (optionally with updater state) to a zip with {@link MultiLayerNetwork#save}, and
     * {@code config} as JSON inside it (DL4J's {@link ModelSerializer#addObjectToFile}, key {@link #CONFIG_KEY}).
     */
    public static void save(MultiLayerNetwork net, TransformerConfig config, File file, boolean saveUpdater)
            throws IOException {
        net.save(file, saveUpdater);
        ModelSerializer.addObjectToFile(file, CONFIG_KEY, config.toJson());
    }

    /** A network with its configuration, as read by {@link #load}. */
    public record Loaded(MultiLayerNetwork network, TransformerConfig config) {
    }

    /** Loads what {@link #save} wrote, with the updater state if it was saved. */
    public static Loaded load(File file) throws IOException {
        return load(file, true);
    }

    /**
     * Loads what {@link #save} wrote; {@code loadUpdater = false} skips the updater state (inference only). A zip
     * written before the network was unified (the layered network, or the layer then named
     * {@code model.reversible.FusedLM}) is converted exactly ({@link LegacyModels}).
     *
     * @throws IOException naming the file if it is not a model zip of this project, or cannot be converted
     */
    public static Loaded load(File file, boolean loadUpdater) throws IOException {
        LegacyModels.Kind kind = LegacyModels.kind(file);
        TransformerConfig config = storedConfig(file);
        MultiLayerNetwork net = kind == LegacyModels.Kind.CURRENT ? MultiLayerNetwork.load(file, loadUpdater)
                : LegacyModels.convert(file, kind, config, loadUpdater);
        if (!config.equals(config(net))) {
            throw new IOException("stored TransformerConfig " + config + " does not match the network in " + file);
        }
        return new Loaded(net, config);
    }

    /** What {@link #lengthFree} means, for messages refusing rows longer than a model was trained on. */
    public static final String LONGER_ROWS = "only a model with rotary positions and causal sliding windows (no global"
            + " tokens) reads rows longer than those it was trained on";

    /**
     * Whether {@code config}'s network computes the same function of a token's context at any row length: rotary
     * (relative) positions and, in every layer, a causal sliding window without global tokens. Such a network reads a
     * row longer than those it was trained on as it would read it in pieces, except that no token past the first
     * {@code layers x window} loses its window at a piece boundary ({@link #atLength}).
     */
    public static boolean lengthFree(TransformerConfig config) {
        return config.positions() == TransformerConfig.Positions.ROTARY && !config.attention().isEmpty()
                && config.attention().stream().allMatch(a -> a.kind() == AttentionSpec.Kind.SLIDING_WINDOW
                        && a.causal() && a.globalPositions().isEmpty());
    }

    /**
     * The network of {@code model} built for rows of {@code seqLen} tokens with the same parameters (which do not
     * depend on the length for a {@link #lengthFree} configuration), for inference.
     *
     * @throws IllegalArgumentException if the configuration is not length-free
     */
    public static Loaded atLength(Loaded model, int seqLen) {
        TransformerConfig c = model.config();
        if (!lengthFree(c)) {
            throw new IllegalArgumentException("a model with " + c.positions() + " positions and attention "
                    + c.attention() + " reads rows of " + c.seqLen() + " tokens at most: " + LONGER_ROWS);
        }
        TransformerConfig longer = new TransformerConfig(c.vocabSize(), seqLen, c.dModel(), c.nHeads(), c.nLayers(),
                c.ffnHidden(), c.seed(), c.attention(), c.residual(), c.positions(), c.axialShape(),
                c.tiedEmbeddings(), c.ffnChunk(), c.lossChunk(), c.dropout());
        MultiLayerNetwork net = build(longer, new NoOp(), model.network().params().dataType());
        net.setParams(model.network().params());
        return new Loaded(net, longer);
    }

    private static TransformerConfig storedConfig(File file) throws IOException {
        String json;
        try {
            json = ModelSerializer.getObjectFromFile(file, CONFIG_KEY);
        } catch (RuntimeException e) {
            throw new IOException(file + " holds no " + CONFIG_KEY + ": not a model saved by TransformerLM", e);
        }
        try {
            return TransformerConfig.fromJson(json);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": unreadable " + CONFIG_KEY + ": " + e.getMessage(), e);
        }
    }

    private static void checkTokenRange(INDArray tokens, int vocabSize) {
        int min = tokens.minNumber().intValue();
        int max = tokens.maxNumber().intValue();
        if (min < 0 || max >= vocabSize) {
            throw new IllegalArgumentException("token ids must be in [0, " + vocabSize + "), got [" + min + ", " + max + "]");
        }
    }
}
