package dev.sparseattn.trainer.model.reversible;

import dev.sparseattn.trainer.model.TransformerConfig;
import dev.sparseattn.trainer.model.layers.TransformerLayerConf;
import java.util.Objects;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Configuration of the fused language model: a whole transformer LM (embeddings, every block, final LayerNorm,
 * output projection and loss) as ONE DL4J output layer. DL4J keeps every layer's input until backpropagation is
 * done, so memory that does not grow with depth (reversible blocks) needs the whole stack inside one layer.
 * Input: token ids {@code [batch, L]} (as floating point numbers); labels: target ids {@code [batch, L]}; labels mask
 * {@code [batch, L]} (0 at padding). Output (inference): next-token probabilities {@code [batch, L, vocab]}.
 * Score: the cross-entropy summed over unmasked targets and divided by the batch size, as the layered model's.
 *
 * <p>The architecture is the {@link TransformerConfig} (stored as its JSON, so DL4J's own serialisation keeps it);
 * {@link Backward} chooses how a reversible stack gets what backward needs.
 */
public class FusedLM extends TransformerLayerConf {

    private String model;                       // TransformerConfig as JSON
    private Backward backward = Backward.RECONSTRUCT;
    private transient TransformerConfig parsed;

    /** For JSON deserialisation. */
    public FusedLM() {
    }

    public FusedLM(TransformerConfig config, Backward backward) {
        super(config.dModel());
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
    protected org.deeplearning4j.nn.api.Layer createLayer(NeuralNetConfiguration conf, DataType dataType) {
        return new FusedLMLayer(conf, dataType);
    }

    @Override
    public ParamInitializer initializer() {
        return FusedLMParams.INSTANCE;
    }

    /** Accepts token ids described as feed-forward input of size L (or recurrent input of length L). */
    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        long len = tokenIdsLength(layerIndex, inputType, "FusedLM");
        return InputType.recurrent(model().vocabSize(), len, RNNFormat.NWC);
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
        return super.equals(o) && o instanceof FusedLM that && Objects.equals(model(), that.model())
                && backward == that.backward;
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), model(), backward);
    }
}
