package dev.sparseattn.trainer.model;

import dev.sparseattn.trainer.model.layers.FinalLayerNorm;
import dev.sparseattn.trainer.model.layers.TokenPositionEmbedding;
import dev.sparseattn.trainer.model.layers.TransformerBlock;
import dev.sparseattn.trainer.model.reversible.Backward;
import dev.sparseattn.trainer.model.reversible.FusedLM;
import dev.sparseattn.trainer.model.reversible.FusedLMLayer;
import dev.sparseattn.trainer.model.reversible.FusedNetworks;
import java.io.File;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.distribution.NormalDistribution;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.shape.OneHot;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Builds, feeds, queries and stores the causal transformer language model: a GPT-2-style decoder (Radford et al.
 * 2019) of pre-LayerNorm blocks (Vaswani et al. 2017) as a DL4J {@link MultiLayerNetwork}:
 * <pre>
 *   0            TokenPositionEmbedding   [batch, L] token ids -> [batch, L, d]
 *   1..nLayers   TransformerBlock         [batch, L, d]
 *   nLayers+1    FinalLayerNorm           [batch, L, d]
 *   nLayers+2    RnnOutputLayer (NWC)     softmax over the vocabulary, MCXENT loss, labels masked at padding
 * </pre>
 * That layered network is built for the classic configuration ({@link TransformerConfig#classic()}); any other
 * (reversible blocks, axial positions, tied embeddings, chunking, dropout) is built as one fused output layer,
 * {@link FusedLM}, whose labels are target ids {@code [batch, L]} instead of one-hot vectors. Every method here
 * accepts both kinds of network.
 * Optimisation is the caller's: the updater is passed in, and nothing here trains.
 *
 * <p>Loss scale: DL4J's score (and gradient) is the cross-entropy summed over the unmasked target positions and
 * divided by the number of sequences; {@link #meanTokenLoss} converts it to the usual per-token mean (nats).
 */
public final class TransformerLM {

    /** GPT-2's initialisation standard deviation for weights and embeddings. */
    public static final double INIT_STD = 0.02;

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
        MultiLayerNetwork net = new MultiLayerNetwork(configuration(config, updater, dataType));
        net.init();
        return net;
    }

    /**
     * The network configuration. Workspaces are ENABLED for training and inference: the layers allocate their
     * outputs, gradients and saved state in DL4J's workspaces, which makes the many per-step allocations cheap.
     */
    public static MultiLayerConfiguration configuration(TransformerConfig config, IUpdater updater,
                                                        DataType dataType) {
        if (!config.classic()) {
            return FusedNetworks.configuration(config, updater, dataType, Backward.RECONSTRUCT);
        }
        int d = config.dModel();
        double residualStd = INIT_STD / Math.sqrt(2.0 * config.nLayers());
        NeuralNetConfiguration.ListBuilder list = new NeuralNetConfiguration.Builder()
                .seed(config.seed())
                .dataType(dataType)
                .updater(updater)
                .trainingWorkspaceMode(WorkspaceMode.ENABLED)
                .inferenceWorkspaceMode(WorkspaceMode.ENABLED)
                .list();

        TokenPositionEmbedding embedding = new TokenPositionEmbedding(config.vocabSize(), config.seqLen(), d, INIT_STD);
        embedding.setLayerName("embedding");
        list.layer(embedding);
        for (int i = 0; i < config.nLayers(); i++) {
            TransformerBlock block = new TransformerBlock(d, config.nHeads(), config.ffnHidden(), INIT_STD, residualStd);
            block.setAttentionSpec(config.attentionFor(i));
            block.setLayerName("block" + i);
            list.layer(block);
        }
        FinalLayerNorm lnF = new FinalLayerNorm(d);
        lnF.setLayerName("ln_f");
        list.layer(lnF);
        list.layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                .name("lm_head")
                .activation(Activation.SOFTMAX)
                .nIn(d)
                .nOut(config.vocabSize())
                .dataFormat(RNNFormat.NWC)
                .weightInit(new NormalDistribution(0.0, INIT_STD))
                .biasInit(0.0)
                .build());
        return list.setInputType(InputType.feedForward(config.seqLen())).build();
    }

    /** {@link #toDataSet(TransformerConfig, int[][], int, DataType)} in float32. */
    public static DataSet toDataSet(TransformerConfig config, int[][] rows, int padId) {
        return toDataSet(config, rows, padId, DataType.FLOAT);
    }

    /**
     * A next-token training batch from rows of {@code L + 1} token ids ({@code L <= seqLen}): features are
     * {@code tokens[0..L-1]} as {@code [batch, L]}; labels are {@code tokens[1..L]} one-hot, {@code [batch, L, vocab]};
     * the labels mask {@code [batch, L]} is 0 where the target is {@code padId}, so padding is ignored by the loss.
     * The features mask {@code [batch, L]} is 0 where the input token is {@code padId}: DL4J hands it to every layer,
     * and the attention never attends to those positions; it is null when no input is padding (no mask work at all).
     * For a fused network (a non-classic configuration) the labels are the target ids {@code [batch, L]}.
     * Padding belongs at the end of a row (learned positions count from the start of the row).
     */
    public static DataSet toDataSet(TransformerConfig config, int[][] rows, int padId, DataType dataType) {
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
        if (!config.classic()) {
            return new DataSet(features, targets.castTo(dataType), featuresMask, mask);  // ids [batch, L]
        }
        INDArray labels = Nd4j.create(dataType, rows.length, len, config.vocabSize());  // [batch, L, vocab]
        Nd4j.exec(new OneHot(targets, labels, config.vocabSize()));
        return new DataSet(features, labels, featuresMask, mask);
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
     * their count, for either kind of network, with the batch's features (padding) mask applied as in training. For a
     * fused network it is computed row chunk by row chunk from the target ids (DL4J's per-example scores), never
     * holding {@code [N, vocab]} probabilities.
     */
    public static double[] sumNats(MultiLayerNetwork net, DataSet batch) {
        INDArray mask = batch.getLabelsMaskArray();
        double tokens = mask == null ? batch.getLabels().size(0) * batch.getLabels().size(1)
                : mask.sumNumber().doubleValue();
        if (FusedNetworks.fusedLayer(net) != null) {
            return new double[] {net.scoreExamples(batch, false).sumNumber().doubleValue(), tokens};
        }
        INDArray fMask = batch.getFeaturesMaskArray();                                   // padding, as in training
        INDArray probs = net.output(batch.getFeatures(), false, fMask, null);            // [batch, L, vocab]
        INDArray targetProb = probs.mul(batch.getLabels()).sum(2);                       // [batch, L]
        if (mask != null) {
            targetProb.muli(mask).addi(mask.rsub(1.0));                                  // padding -> log(1) = 0
        }
        return new double[] {-Transforms.log(targetProb, false).sumNumber().doubleValue(), tokens};
    }

    /**
     * Log-probabilities of the next token after {@code context} (length {@code vocab}), computed from the logits
     * at the last position. Only the last {@code seqLen} tokens of the context are used.
     */
    public static double[] nextTokenLogProbs(MultiLayerNetwork net, int[] context) {
        if (context.length == 0) {
            throw new IllegalArgumentException("context must hold at least one token");
        }
        FusedLMLayer fused = FusedNetworks.fusedLayer(net);
        if (fused != null) {
            int seqLen = ((FusedLM) fused.conf().getLayer()).model().seqLen();
            int[] window = Arrays.copyOfRange(context, Math.max(0, context.length - seqLen), context.length);
            return fused.nextTokenLogProbs(Nd4j.createFromArray(new int[][] {window}).castTo(net.params().dataType()));
        }
        int seqLen = ((TokenPositionEmbedding) net.getLayer(0).conf().getLayer()).getMaxSeqLen();
        int[] window = Arrays.copyOfRange(context, Math.max(0, context.length - seqLen), context.length);
        INDArray ids = Nd4j.createFromArray(new int[][] {window}).castTo(net.params().dataType()); // [1, L]
        List<INDArray> acts = net.feedForwardToLayer(net.getnLayers() - 2, ids, false);
        INDArray hidden = acts.get(acts.size() - 1);                                      // [1, L, d]
        INDArray last = hidden.get(NDArrayIndex.point(0), NDArrayIndex.point(window.length - 1), NDArrayIndex.all())
                .castTo(DataType.DOUBLE).reshape(1, -1);                                  // [1, d]
        Layer head = net.getOutputLayer();
        INDArray w = head.getParam(DefaultParamInitializer.WEIGHT_KEY).castTo(DataType.DOUBLE); // [d, vocab]
        INDArray b = head.getParam(DefaultParamInitializer.BIAS_KEY).castTo(DataType.DOUBLE);   // [vocab]
        INDArray logits = last.mmul(w).addiRowVector(b);                                  // [1, vocab]
        double max = logits.maxNumber().doubleValue();
        double logSumExp = max + Math.log(Transforms.exp(logits.sub(max), false).sumNumber().doubleValue());
        return logits.subi(logSumExp).toDoubleVector();
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

    /** Loads what {@link #save} wrote; {@code loadUpdater = false} skips the updater state (inference only). */
    public static Loaded load(File file, boolean loadUpdater) throws IOException {
        MultiLayerNetwork net = MultiLayerNetwork.load(file, loadUpdater);
        String json = ModelSerializer.getObjectFromFile(file, CONFIG_KEY);
        TransformerConfig config = TransformerConfig.fromJson(json);
        FusedLMLayer fused = FusedNetworks.fusedLayer(net);
        if (fused != null || !config.classic()) {
            if (fused == null || !config.equals(((FusedLM) fused.conf().getLayer()).model())) {
                throw new IOException("stored TransformerConfig " + config + " does not match the network in " + file);
            }
            return new Loaded(net, config);
        }
        TokenPositionEmbedding embedding = (TokenPositionEmbedding) net.getLayer(0).conf().getLayer();
        if (embedding.getVocabSize() != config.vocabSize() || embedding.getMaxSeqLen() != config.seqLen()
                || embedding.getDModel() != config.dModel() || net.getnLayers() != config.nLayers() + 3) {
            throw new IOException("stored TransformerConfig " + config + " does not match the network in " + file);
        }
        return new Loaded(net, config);
    }

    private static void checkTokenRange(INDArray tokens, int vocabSize) {
        int min = tokens.minNumber().intValue();
        int max = tokens.maxNumber().intValue();
        if (min < 0 || max >= vocabSize) {
            throw new IllegalArgumentException("token ids must be in [0, " + vocabSize + "), got [" + min + ", " + max + "]");
        }
    }
}
