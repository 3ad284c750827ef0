package dev.sparseattn.trainer.model.reversible;

import dev.sparseattn.trainer.model.TransformerConfig;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.IUpdater;

/** Networks of one {@link FusedLM} layer: {@code [batch, L]} token ids in, next-token distribution out. */
public final class FusedNetworks {

    private FusedNetworks() {
    }

    /** The network configuration (workspaces enabled, as the layered model's). */
    public static MultiLayerConfiguration configuration(TransformerConfig config, IUpdater updater, DataType dataType,
                                                        Backward backward) {
        FusedLM layer = new FusedLM(config, backward);
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

    /** An initialised network. */
    public static MultiLayerNetwork build(TransformerConfig config, IUpdater updater, DataType dataType,
                                          Backward backward) {
        MultiLayerNetwork net = new MultiLayerNetwork(configuration(config, updater, dataType, backward));
        net.init();
        return net;
    }

    /** The fused layer of {@code net}, or null if it is not a fused network. */
    public static FusedLMLayer fusedLayer(MultiLayerNetwork net) {
        if (net.getnLayers() != 1) {
            return null;
        }
        Layer layer = net.getLayer(0);
        return layer instanceof FusedLMLayer fused ? fused : null;
    }
}
