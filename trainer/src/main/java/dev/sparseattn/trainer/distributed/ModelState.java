package dev.sparseattn.trainer.distributed;

import java.io.Serializable;
import org.deeplearning4j.nn.api.Updater;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The flattened parameter vector as it travels from the driver to the workers each round, as its raw values in
 * the array's data type ({@link FlatArray}). DL4J's own {@code ParameterAveragingTrainingMaster} broadcasts the
 * updater state with it (Zhang et al. 2015 note that averaging the optimiser's state with the parameters keeps
 * adaptive updaters consistent across rounds); {@link ParameterAveragingTrainer} sends the synchronised updater
 * state as its own broadcast, read by the workers that need it. The encoding is backend-neutral: it works from and
 * to CPU and CUDA arrays alike.
 */
public final class ModelState implements Serializable {
  private static final long serialVersionUID = 1L;

  private final FlatArray params;

  private ModelState(FlatArray params) {
    this.params = params;
  }

  /** Encodes the given flattened parameters. */
  public static ModelState of(INDArray params) {
    return new ModelState(FlatArray.of(params));
  }

  /** The network's flattened updater state view, or null when its updater keeps none (SGD). */
  public static INDArray updaterState(MultiLayerNetwork net) {
    Updater u = net.getUpdater(true);
    INDArray view = u == null ? null : u.getStateViewArray();
    return view == null || view.isEmpty() ? null : view;
  }

  /**
   * Copies the parameters into a network of the same architecture, leaving its updater state as it is
   * (rounds between two state synchronisations, and evaluation).
   */
  public void applyParamsTo(MultiLayerNetwork net) {
    params.copyInto(net.params());
  }

  public INDArray params() {
    return params.toArray();
  }

  /** Encoded size in bytes (what one broadcast or one worker's result carries). */
  public long bytes() {
    return params.bytes();
  }
}
