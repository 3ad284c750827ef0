package dev.sparseattn.trainer.model.network;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A {@link ParamInitializer} described by an ordered list of named parameters. Parameters are c-ordered views,
 * laid out one after another in the layer's slice of the network's flat parameter (and gradient) vector.
 * Initialisation (GPT-2): weights ~ N(0, std), biases 0, gains 1, drawn from ND4J's RNG, which
 * {@code MultiLayerNetwork.init()} seeds from the configuration.
 *
 * <p>Weight decay / L2 set on the network applies to {@link Kind#WEIGHT} parameters (matrices and embeddings),
 * bias regularisation to {@link Kind#BIAS}; {@link Kind#GAIN} (LayerNorm scales) is never regularised.
 */
public abstract class ParamLayout implements ParamInitializer {

    /** Role of a parameter: how it is initialised and regularised. */
    public enum Kind { WEIGHT, BIAS, GAIN }

    /**
     * One parameter: key, shape, role, and the standard deviation of its initialisation (weights only). Keys must
     * not contain {@code '_'}: DL4J's updater finds the layer of a gradient {@code "<layer>_<key>"} by the last one.
     */
    public record Spec(String key, long[] shape, Kind kind, double std) {
        public Spec {
            if (key.isEmpty() || key.indexOf('_') >= 0) {
                throw new IllegalArgumentException("parameter key must be non-empty without '_': " + key);
            }
        }

        long length() {
            long n = 1;
            for (long s : shape) {
                n *= s;
            }
            return n;
        }
    }

    protected static Spec weight(String key, double std, long... shape) {
        return new Spec(key, shape, Kind.WEIGHT, std);
    }

    protected static Spec bias(String key, long size) {
        return new Spec(key, new long[] {size}, Kind.BIAS, 0);
    }

    protected static Spec gain(String key, long size) {
        return new Spec(key, new long[] {size}, Kind.GAIN, 0);
    }

    /** The parameters of the given layer configuration, in layout order. */
    protected abstract List<Spec> specs(Layer layer);

    @Override
    public long numParams(NeuralNetConfiguration conf) {
        return numParams(conf.getLayer());
    }

    @Override
    public long numParams(Layer layer) {
        return specs(layer).stream().mapToLong(Spec::length).sum();
    }

    @Override
    public List<String> paramKeys(Layer layer) {
        return keys(layer, null);
    }

    @Override
    public List<String> weightKeys(Layer layer) {
        return keys(layer, Kind.WEIGHT);
    }

    @Override
    public List<String> biasKeys(Layer layer) {
        return keys(layer, Kind.BIAS);
    }

    @Override
    public boolean isWeightParam(Layer layer, String key) {
        return weightKeys(layer).contains(key);
    }

    @Override
    public boolean isBiasParam(Layer layer, String key) {
        return biasKeys(layer).contains(key);
    }

    @Override
    public Map<String, INDArray> init(NeuralNetConfiguration conf, INDArray paramsView, boolean initializeParams) {
        Map<String, INDArray> views = views(conf, paramsView);
        for (Spec spec : specs(conf.getLayer())) {
            INDArray p = views.get(spec.key());
            if (initializeParams) {
                switch (spec.kind()) {
                    case WEIGHT -> Nd4j.getDistributions().createNormal(0.0, spec.std()).sample(p);
                    case BIAS -> p.assign(0.0);
                    case GAIN -> p.assign(1.0);
                    default -> throw new IllegalStateException("unknown kind " + spec.kind());
                }
            }
            conf.addVariable(spec.key());
        }
        return Collections.synchronizedMap(views);
    }

    @Override
    public Map<String, INDArray> getGradientsFromFlattened(NeuralNetConfiguration conf, INDArray gradientView) {
        return views(conf, gradientView);
    }

    private Map<String, INDArray> views(NeuralNetConfiguration conf, INDArray flatView) {
        List<Spec> specs = specs(conf.getLayer());
        long total = specs.stream().mapToLong(Spec::length).sum();
        if (flatView.length() != total) {
            throw new IllegalStateException("expected a parameter view of length " + total + " for "
                    + conf.getLayer().getClass().getSimpleName() + ", got " + flatView.length());
        }
        INDArray flat = flatView.reshape(flatView.length());
        Map<String, INDArray> out = new LinkedHashMap<>();
        long offset = 0;
        for (Spec spec : specs) {
            INDArray slice = flat.get(NDArrayIndex.interval(offset, offset + spec.length()));
            out.put(spec.key(), slice.reshape('c', spec.shape()));
            offset += spec.length();
        }
        return out;
    }

    private List<String> keys(Layer layer, Kind kind) {
        List<String> keys = new ArrayList<>();
        for (Spec spec : specs(layer)) {
            if (kind == null || spec.kind() == kind) {
                keys.add(spec.key());
            }
        }
        return keys;
    }
}
