package dev.sparseattn.trainer.model.network;

import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.nn.conf.memory.MemoryReport;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Configuration of the language model as ONE DL4J output layer: embeddings, every block, final LayerNorm, output
 * projection and loss. DL4J keeps every layer's input until backpropagation is done, so memory that does not grow
 * with depth (reversible blocks) needs the whole stack inside one layer; and one layer holding everything takes
 * target ids as labels, never one-hot {@code [batch, L, vocab]} arrays.
 * Input: token ids {@code [batch, L]} (as floating point numbers); labels: target ids {@code [batch, L]}; labels mask
 * {@code [batch, L]} (0 at padding). Output (inference): next-token probabilities {@code [batch, L, vocab]}.
 * Score: the cross-entropy summed over unmasked targets and divided by the batch size.
 *
 * <p>The architecture is the {@link TransformerConfig} (stored as its JSON, so DL4J's own serialisation keeps it);
 * {@link Backward} chooses how a reversible stack gets what backward needs. Optimisation settings (updater, gradient
 * normalisation, regularisation) are left unset so that the network-wide ones apply.
 */
public class LmLayerConf extends BaseLayer {

    private String model;                       // TransformerConfig as JSON
    private Backward backward = Backward.RECONSTRUCT;
    private transient TransformerConfig parsed;

    /** For JSON deserialisation. */
    public LmLayerConf() {
        setActivationFn(new ActivationIdentity());
        setBiasInit(Double.NaN);
        setGainInit(Double.NaN);
        setGradientNormalization(null);
        setGradientNormalizationThreshold(Double.NaN);
    }

    public LmLayerConf(TransformerConfig config, Backward backward) {
        this();
        this.model = config.toJson();
        this.backward = Objects.requireNonNull(backward, "backward");
    }

    /** The architecture. */
    public TransformerConfig model() {
        if (parsed == null) {
            parsed = TransformerConfig.fromJson(model);
        }
        return parsed;
    }

    @Override
    public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf,
                                                       Collection<TrainingListener> trainingListeners,
                                                       int layerIndex, INDArray layerParamsView,
                                                       boolean initializeParams, DataType networkDataType) {
        LmLayer layer = new LmLayer(conf, networkDataType);
        layer.setListeners(trainingListeners);
        layer.setIndex(layerIndex);
        layer.setParamsViewArray(layerParamsView);
        Map<String, INDArray> params = initializer().init(conf, layerParamsView, initializeParams);
        layer.setParamTable(params);
        layer.setConf(conf);
        return layer;
    }

    @Override
    public ParamInitializer initializer() {
        return LmParams.INSTANCE;
    }

    /** Accepts token ids described as feed-forward input of size L (or recurrent input of length L). */
    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        long len;
        if (inputType instanceof InputType.InputTypeFeedForward ff) {
            len = ff.getSize();
        } else if (inputType instanceof InputType.InputTypeRecurrent r) {
            len = r.getTimeSeriesLength();
        } else {
            throw new IllegalStateException("layer " + layerIndex + " (LmLayerConf) expects token ids [batch, L] "
                    + "(feed-forward input type of size L), got " + inputType);
        }
        return InputType.recurrent(model().vocabSize(), len, RNNFormat.NWC);
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        // sizes come from the model configuration
    }

    @Override
    public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
        return null;
    }

    @Override
    public boolean isPretrainParam(String paramName) {
        return false;
    }

    @Override
    public LayerMemoryReport getMemoryReport(InputType inputType) {
        long numParams = initializer().numParams(this);
        long updaterState = getIUpdater() == null ? 0 : getIUpdater().stateSize(numParams);
        return new LayerMemoryReport.Builder(layerName, getClass(), inputType, getOutputType(-1, inputType))
                .standardMemory(numParams, updaterState)
                .workingMemory(0, 0, 0, 0)
                .cacheMemory(MemoryReport.CACHE_MODE_ALL_ZEROS, MemoryReport.CACHE_MODE_ALL_ZEROS)
                .build();
    }

    public String getModel() {
        return model;
    }

    public void setModel(String model) {
        this.model = model;
        this.parsed = null;
    }

    public Backward getBackward() {
        return backward;
    }

    public void setBackward(Backward backward) {
        this.backward = backward;
    }

    @Override
    public boolean equals(Object o) {
        return o != null && o.getClass() == getClass() && super.equals(o) && o instanceof LmLayerConf that
                && Objects.equals(model(), that.model()) && backward == that.backward;
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), model(), backward);
    }
}
