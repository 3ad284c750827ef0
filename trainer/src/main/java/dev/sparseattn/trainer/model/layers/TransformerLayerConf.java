package dev.sparseattn.trainer.model.layers;

import java.util.Collection;
import java.util.Map;
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
 * Common configuration of the transformer layers: output {@code [batch, L, dModel]} in NWC format, sizes fixed
 * by the model configuration (not inferred from the input type), no preprocessors. Optimisation settings
 * (updater, gradient normalisation, regularisation) are left unset so that the network-wide ones apply.
 *
 * <p>Subclasses need a public no-argument constructor and getters/setters for their fields: DL4J serialises
 * layer configurations to JSON with Jackson.
 */
public abstract class TransformerLayerConf extends BaseLayer {

    protected int dModel;

    protected TransformerLayerConf() {
        setActivationFn(new ActivationIdentity());
        setBiasInit(Double.NaN);
        setGainInit(Double.NaN);
        setGradientNormalization(null);
        setGradientNormalizationThreshold(Double.NaN);
    }

    protected TransformerLayerConf(int dModel) {
        this();
        this.dModel = dModel;
    }

    public int getDModel() {
        return dModel;
    }

    public void setDModel(int dModel) {
        this.dModel = dModel;
    }

    /** The runtime layer for this configuration. */
    protected abstract org.deeplearning4j.nn.api.Layer createLayer(NeuralNetConfiguration conf, DataType dataType);

    @Override
    public abstract ParamInitializer initializer();

    @Override
    public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf,
                                                       Collection<TrainingListener> trainingListeners,
                                                       int layerIndex, INDArray layerParamsView,
                                                       boolean initializeParams, DataType networkDataType) {
        org.deeplearning4j.nn.api.Layer layer = createLayer(conf, networkDataType);
        layer.setListeners(trainingListeners);
        layer.setIndex(layerIndex);
        layer.setParamsViewArray(layerParamsView);
        Map<String, INDArray> params = initializer().init(conf, layerParamsView, initializeParams);
        layer.setParamTable(params);
        layer.setConf(conf);
        return layer;
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        if (!(inputType instanceof InputType.InputTypeRecurrent recurrent)) {
            throw new IllegalStateException("layer " + layerIndex + " (" + getClass().getSimpleName()
                    + ") expects recurrent [batch, L, dModel] input, got " + inputType);
        }
        return InputType.recurrent(dModel, recurrent.getTimeSeriesLength(), RNNFormat.NWC);
    }

    /**
     * The length {@code L} of token-id input {@code [batch, L]}, described as feed-forward input of size L (or
     * recurrent input of length L), for layers that take token ids.
     */
    protected static long tokenIdsLength(int layerIndex, InputType inputType, String layer) {
        if (inputType instanceof InputType.InputTypeFeedForward ff) {
            return ff.getSize();
        }
        if (inputType instanceof InputType.InputTypeRecurrent r) {
            return r.getTimeSeriesLength();
        }
        throw new IllegalStateException("layer " + layerIndex + " (" + layer + ") expects token ids [batch, L] "
                + "(feed-forward input type of size L), got " + inputType);
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

    @Override
    public boolean equals(Object o) {
        return o != null && o.getClass() == getClass() && super.equals(o)
                && ((TransformerLayerConf) o).dModel == dModel;
    }

    @Override
    public int hashCode() {
        return 31 * super.hashCode() + dModel;
    }
}
