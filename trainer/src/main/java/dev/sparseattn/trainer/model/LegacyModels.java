package dev.sparseattn.trainer.model;

import dev.sparseattn.trainer.model.network.Backward;
import dev.sparseattn.trainer.model.network.LmParams;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import java.io.DataInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * Reads model zips written before the network was unified into one layer, converting them exactly:
 * <ul>
 *   <li>{@link Kind#LAYERED}: {@code TokenPositionEmbedding, TransformerBlock x n, FinalLayerNorm, RnnOutputLayer}
 *       (package {@code model.layers}). Its flat parameter vector holds the same arrays in the same order as
 *       {@link LmParams} (token table, position table, each block's twelve, final LayerNorm, output weights and bias)
 *       except that DL4J's output layer stores its weights {@code [d, vocab]} in column-major order: they are
 *       transposed into place, the rest is copied;</li>
 *   <li>{@link Kind#OLD_FUSED}: the same layer as today under its old name {@code model.reversible.FusedLM}: the
 *       parameters are copied as they are.</li>
 * </ul>
 * Updater state (one DL4J updater block over all parameters, e.g. Adam's {@code [m | v]}, each segment in parameter
 * order) goes through the same permutation; iteration and epoch counts (Adam's bias correction, the dropout masks'
 * counter) are kept. Anything else fails with a message naming the file and the reason.
 */
final class LegacyModels {

    /** What wrote a model zip. */
    enum Kind { CURRENT, LAYERED, OLD_FUSED }

    private static final String CONFIGURATION = "configuration.json";
    private static final String COEFFICIENTS = "coefficients.bin";
    private static final String UPDATER_STATE = "updaterState.bin";
    private static final String LAYERS_PACKAGE = "dev.sparseattn.trainer.model.layers.";
    private static final String OLD_FUSED_CLASS = "dev.sparseattn.trainer.model.reversible.FusedLM";

    private LegacyModels() {
    }

    /** Which network wrote {@code file} (from the layer classes named in its DL4J configuration). */
    static Kind kind(File file) throws IOException {
        String json = new String(entry(file, CONFIGURATION), StandardCharsets.UTF_8);
        if (json.contains("\"" + OLD_FUSED_CLASS + "\"")) {
            return Kind.OLD_FUSED;
        }
        if (json.contains("\"" + LAYERS_PACKAGE)) {
            return Kind.LAYERED;
        }
        return Kind.CURRENT;
    }

    /** The network of a legacy zip in today's layout (with its updater state if asked for and present). */
    static MultiLayerNetwork convert(File file, Kind kind, TransformerConfig config, boolean loadUpdater)
            throws IOException {
        JsonNode root = new ObjectMapper().readTree(entry(file, CONFIGURATION));
        JsonNode confs = root.path("confs");
        int expectedLayers = kind == Kind.LAYERED ? config.nLayers() + 3 : 1;
        if (confs.size() != expectedLayers) {
            throw new IOException(file + ": a " + kind + " model of " + config.nLayers() + " blocks should have "
                    + expectedLayers + " DL4J layers, found " + confs.size() + "; cannot convert it");
        }
        JsonNode first = confs.get(0).path("layer");
        for (JsonNode c : confs) {
            if (c.path("layer").path("regularization").size() > 0 || c.path("layer").path("idropout").isObject()) {
                throw new IOException(file + ": layer " + c.path("layer").path("layerName").asText()
                        + " has regularization or DL4J dropout, which the unified network does not take; cannot convert it");
            }
        }
        IUpdater updater = NeuralNetConfiguration.mapper().treeToValue(first.path("iupdater"), IUpdater.class);
        DataType dataType = DataType.valueOf(root.path("dataType").asText("FLOAT"));
        Backward backward = kind == Kind.OLD_FUSED ? Backward.valueOf(first.path("backward").asText("RECONSTRUCT"))
                : Backward.RECONSTRUCT;
        MultiLayerNetwork net = TransformerLM.build(config, updater, dataType, backward);

        INDArray params = read(file, COEFFICIENTS).castTo(dataType).reshape(-1);
        if (params.length() != net.numParams()) {
            throw new IOException(file + ": " + params.length() + " stored parameters, but " + config + " has "
                    + net.numParams() + "; cannot convert it");
        }
        net.setParams(toCurrentLayout(params, kind, config).reshape(1, -1));
        if (loadUpdater && has(file, UPDATER_STATE) && net.getUpdater().getStateViewArray() != null) {
            INDArray state = read(file, UPDATER_STATE).castTo(dataType).reshape(-1);
            INDArray view = net.getUpdater().getStateViewArray();
            long n = net.numParams();
            if (state.length() != view.length() || state.length() % n != 0) {
                throw new IOException(file + ": updater state of " + state.length() + " values does not match "
                        + view.length() + " for " + n + " parameters; load it without the updater state");
            }
            for (long s = 0; s < state.length() / n; s++) {
                INDArray segment = state.get(interval(s * n, (s + 1) * n));
                view.reshape(-1).get(interval(s * n, (s + 1) * n)).assign(toCurrentLayout(segment, kind, config));
            }
        }
        int iterations = root.path("iterationCount").asInt(0);
        int epochs = root.path("epochCount").asInt(0);
        net.getLayerWiseConfigurations().setIterationCount(iterations);
        net.getLayerWiseConfigurations().setEpochCount(epochs);
        net.getLayer(0).conf().setIterationCount(iterations);
        net.getLayer(0).conf().setEpochCount(epochs);
        net.getLayer(0).setIterationCount(iterations);
        net.getLayer(0).setEpochCount(epochs);
        return net;
    }

    /**
     * A flat vector in the stored layout as today's: the layered network's output weights, the
     * {@code d * vocab} values before the last {@code vocab} (the bias), from column-major to row-major.
     *
     * @param flat // [numParams]
     */
    private static INDArray toCurrentLayout(INDArray flat, Kind kind, TransformerConfig config) {
        INDArray out = flat.dup();
        if (kind == Kind.LAYERED) {
            long d = config.dModel();
            long vocab = config.vocabSize();
            long end = flat.length() - vocab;
            long start = end - d * vocab;
            INDArray stored = flat.get(interval(start, end)).dup().reshape('f', d, vocab);   // [d, vocab]
            out.get(interval(start, end)).assign(stored.dup('c').reshape(d * vocab));
        }
        return out;
    }

    private static org.nd4j.linalg.indexing.INDArrayIndex interval(long from, long to) {
        return org.nd4j.linalg.indexing.NDArrayIndex.interval(from, to);
    }

    private static INDArray read(File file, String name) throws IOException {
        try (ZipFile zip = new ZipFile(file); InputStream in = zip.getInputStream(required(zip, file, name));
             DataInputStream data = new DataInputStream(in)) {
            return Nd4j.read(data);
        }
    }

    private static byte[] entry(File file, String name) throws IOException {
        try (ZipFile zip = new ZipFile(file); InputStream in = zip.getInputStream(required(zip, file, name))) {
            return in.readAllBytes();
        } catch (java.util.zip.ZipException e) {
            throw new IOException(file + " is not a zip file: " + e.getMessage(), e);
        }
    }

    private static boolean has(File file, String name) throws IOException {
        try (ZipFile zip = new ZipFile(file)) {
            return zip.getEntry(name) != null;
        }
    }

    private static ZipEntry required(ZipFile zip, File file, String name) throws IOException {
        ZipEntry e = zip.getEntry(name);
        if (e == null) {
            throw new IOException(file + " has no " + name + ": not a DL4J model zip");
        }
        return e;
    }
}
