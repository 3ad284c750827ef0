package dev.sparseattn.trainer.train;

import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * Applies gradient clipping by L2 norm ({@link GradientNormalization#ClipL2PerLayer}) to every trainable
 * layer of a network; the transformer LM is one layer, so this clips the norm of the whole gradient. The optimiser reads these settings at each update, so this is a
 * training choice applied by the trainer, not part of the model's definition.
 */
public final class GradientClipping {
  private GradientClipping() {}

  /** Clips every trainable layer's gradient to L2 norm {@code threshold}; 0 or less leaves the network unchanged. */
  public static void apply(MultiLayerNetwork net, double threshold) {
    if (threshold <= 0) {
      return;
    }
    for (int i = 0; i < net.getnLayers(); i++) {
      if (net.getLayerWiseConfigurations().getConf(i).getLayer() instanceof BaseLayer layer) {
        layer.setGradientNormalization(GradientNormalization.ClipL2PerLayer);
        layer.setGradientNormalizationThreshold(threshold);
      }
    }
  }
}
