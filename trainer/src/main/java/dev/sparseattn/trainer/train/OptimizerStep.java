package dev.sparseattn.trainer.train;

import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.network.LmParams;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * One optimiser step of a network, the same in local and distributed training: the gradient of one
 * micro-batch, or the sum of several ({@code train.grad-accumulation}, applied once as the gradient of
 * their concatenation: the updater divides by all their sequences), then the network's updater (Adam,
 * global-norm clipping of that gradient), then decoupled weight decay (AdamW, Loshchilov and Hutter
 * 2019, "Decoupled Weight Decay Regularization", Algorithm 2): {@code w -= lr_t * lambda * w_{t-1}} on
 * the parameters whose role is not excluded ({@code optim.decay-exclude}: biases, LayerNorm gains,
 * embeddings), with {@code lr_t} the scheduled learning rate of the step (PyTorch's AdamW convention).
 *
 * <p>Holds two reused buffers of the parameter count (parameters before the step, masked; the gradient
 * sum); all work is whole-array ND4J operations. Nothing here is state across steps, so resuming from a
 * checkpoint (parameters, updater state, iteration count) continues exactly.
 */
public final class OptimizerStep {
  private final MultiLayerNetwork net;
  private final double weightDecay;
  private final INDArray decayMask; // shaped as the parameters, 1 where decayed; null without decay
  private INDArray before;
  private INDArray sum;

  public OptimizerStep(MultiLayerNetwork net, OptimConfig optim) {
    this.net = net;
    this.weightDecay = optim.weightDecay();
    this.decayMask = weightDecay > 0 ? decayMask(net, optim) : null;
  }

  /** The result of a step: mean loss per target token (nats) over its micro-batches, and their targets. */
  public record Result(double meanTokenLoss, long targets, long sequences) {}

  /** One step on {@code microBatches} (one or more, from {@code TransformerLM.toDataSet}). */
  public Result step(List<DataSet> microBatches) {
    double lr = weightDecay > 0 ? learningRate() : 0;
    if (decayMask != null) {
      before = reuse(before);
      before.assign(net.params()).muli(decayMask);
    }
    Result r = microBatches.size() == 1 ? fit(microBatches.get(0)) : accumulate(microBatches);
    if (decayMask != null) {
      net.params().subi(before.muli(lr * weightDecay));
    }
    return r;
  }

  private Result fit(DataSet batch) {
    net.fit(batch);
    long targets = targets(batch);
    return new Result(TransformerLM.meanTokenLoss(net.score(), batch), targets, batch.getFeatures().size(0));
  }

  /** Sums the micro-batches' gradients and applies them as one step on their concatenation. */
  private Result accumulate(List<DataSet> microBatches) {
    INDArray gradient = null;
    double lossTimesTargets = 0;
    long targets = 0;
    long sequences = 0;
    for (int m = 0; m < microBatches.size(); m++) {
      DataSet b = microBatches.get(m);
      net.setInput(b.getFeatures());
      net.setLabels(b.getLabels());
      net.setLayerMaskArrays(b.getFeaturesMaskArray(), b.getLabelsMaskArray());
      net.computeGradientAndScore();
      gradient = net.getFlattenedGradients(); // the network's gradient view, made by the first backward pass
      if (m == 0) {
        sum = sum != null && sum.length() == gradient.length() ? sum
            : Nd4j.createUninitialized(gradient.dataType(), gradient.shape());
        sum.assign(gradient);
      } else {
        sum.addi(gradient);
      }
      long t = targets(b);
      lossTimesTargets += TransformerLM.meanTokenLoss(net.score(), b) * t;
      targets += t;
      sequences += b.getFeatures().size(0);
    }
    gradient.assign(sum);
    int iteration = net.getIterationCount();
    net.getUpdater().update(net, net.gradient(), iteration, net.getEpochCount(), (int) sequences,
        LayerWorkspaceMgr.noWorkspaces());
    net.params().subi(gradient.reshape(net.params().shape())); // a view: both are contiguous
    net.setIterationCount(iteration + 1);
    net.clearLayerMaskArrays();
    return new Result(targets == 0 ? Double.NaN : lossTimesTargets / targets, targets, sequences);
  }

  private static long targets(DataSet b) {
    return b.getLabelsMaskArray() == null ? b.getLabels().size(0) * b.getLabels().size(1)
        : (long) b.getLabelsMaskArray().sumNumber().doubleValue();
  }

  /** The scheduled learning rate of the coming step (one schedule for all layers). */
  private double learningRate() {
    Double rate = net.getLearningRate(net.getnLayers() - 1);
    return rate == null ? 0 : rate;
  }

  private INDArray reuse(INDArray buffer) {
    INDArray params = net.params();
    return buffer != null && buffer.length() == params.length() ? buffer
        : Nd4j.createUninitialized(params.dataType(), params.shape()); // as the parameter view
  }

  /** 1 over the parameters that decay, 0 over the excluded roles; from the layers' parameter tables. */
  static INDArray decayMask(MultiLayerNetwork net, OptimConfig optim) {
    INDArray flat = net.params();
    INDArray mask = Nd4j.zeros(flat.dataType(), flat.shape());
    INDArray linear = mask.reshape(mask.length()); // a view: the mask is contiguous
    long covered = 0;
    for (int i = 0; i < net.getnLayers(); i++) {
      Layer conf = net.getLayerWiseConfigurations().getConf(i).getLayer();
      ParamInitializer init = conf.initializer();
      for (Map.Entry<String, INDArray> e : net.getLayer(i).paramTable().entrySet()) {
        INDArray view = e.getValue();
        long start = view.offset() - flat.offset();
        covered += view.length();
        if (!optim.decayExclude().contains(role(init, conf, e.getKey()))) {
          linear.get(NDArrayIndex.interval(start, start + view.length())).assign(1);
        }
      }
    }
    if (covered != flat.length()) {
      throw new IllegalStateException("parameter tables cover " + covered + " of " + flat.length() + " parameters");
    }
    return mask;
  }

  /** {@code bias}, {@code gain}, {@code embedding} or {@code weight}. */
  static String role(ParamInitializer init, Layer conf, String key) {
    if (init.isBiasParam(conf, key)) {
      return "bias";
    }
    if (!init.isWeightParam(conf, key)) {
      return "gain";
    }
    return key.equals(LmParams.TOKEN) || key.equals(LmParams.POSITION) || key.startsWith(LmParams.AXIAL)
        ? "embedding" : "weight";
  }
}
