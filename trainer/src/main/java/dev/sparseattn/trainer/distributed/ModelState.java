package dev.sparseattn.trainer.distributed;

import java.io.Serializable;
import org.deeplearning4j.nn.api.Updater;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A network's trainable state as it travels between driver and workers: the flattened parameter vector
 * and the flattened updater state (Adam's first and second moments; nothing for plain SGD), each as its
 * raw values in the array's data type ({@link FlatArray}). This is the same pair DL4J's own {@code ParameterAveragingTrainingMaster} broadcasts
 * (Zhang et al. 2015 note that averaging the optimiser's state with the parameters keeps adaptive
 * updaters consistent across rounds). {@link ParameterAveragingTrainer} now broadcasts only the parameters
 * this way; the synchronised updater state travels as its own broadcast, read by the workers that need
 * it. The encoding is backend-neutral: it works from and to CPU and CUDA arrays alike.
 */
public final class ModelState implements Serializable {
  private static final long serialVersionUID = 1L;

  private final FlatArray params;
  private final FlatArray updater;   // null when the updater keeps no state

  private ModelState(FlatArray params, FlatArray updater) {
    this.params = params;
    this.updater = updater;
  }

  /** Encodes the given flattened parameters and updater state (the latter may be null). */
  public static ModelState of(INDArray params, INDArray updaterState) {
    return new ModelState(FlatArray.of(params), updaterState == null ? null : FlatArray.of(updaterState));
  }

  /** The network's flattened updater state view, or null when its updater keeps none (SGD). */
  public static INDArray updaterState(MultiLayerNetwork net) {
    Updater u = net.getUpdater(true);
    INDArray view = u == null ? null : u.getStateViewArray();
    return view == null || view.isEmpty() ? null : view;
  }

  /**
   * Copies only the parameters into a network of the same architecture, leaving its updater state as it is
   * (rounds between two state synchronisations, and evaluation).
   */
  public void applyParamsTo(MultiLayerNetwork net) {
    params.copyInto(net.params());
  }

  public INDArray params() {
    return params.toArray();
  }

  /** The updater state, or null. */
  public INDArray updaterState() {
    return updater == null ? null : updater.toArray();
  }

  /** Encoded size in bytes (what one broadcast or one worker's result carries). */
  public long bytes() {
    return params.bytes() + (updater == null ? 0 : updater.bytes());
  }
}
