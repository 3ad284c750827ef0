package dev.sparseattn.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.config.ConfigError;
import dev.sparseattn.datasets.config.JobArgs;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/** Gradient accumulation and decoupled weight decay (AdamW) against their definitions. */
class OptimizerStepTest {
  private static final int PAD = 256;
  private static final int SEQ = 16;

  private static TrainConfig config(String... more) {
    List<String> o = new ArrayList<>(List.of("train.data=x", "train.output=y", "train.model.d-model=16",
        "train.model.heads=2", "train.model.layers=1", "train.model.dropout=0", "train.optim.warmup-steps=0",
        "train.optim.learning-rate=0.01", "train.steps=10"));
    o.addAll(List.of(more));
    return TrainConfig.parse(JobArgs.parseOverrides(o));
  }

  private static MultiLayerNetwork net(TrainConfig c) {
    TransformerConfig arch = c.model().architecture(258, SEQ, 7);
    MultiLayerNetwork net = TransformerLM.build(arch, LocalTrainer.updater(c));
    GradientClipping.apply(net, c.optim().gradientClip());
    return net;
  }

  /** Random byte rows, the last with a PAD tail (uneven target counts across micro-batches). */
  private static int[][] rows(int n, long seed) {
    Random r = new Random(seed);
    int[][] rows = new int[n][SEQ + 1];
    for (int[] row : rows) {
      Arrays.setAll(row, j -> 97 + r.nextInt(26));
    }
    Arrays.fill(rows[n - 1], 9, SEQ + 1, PAD);
    return rows;
  }

  private static DataSet data(TrainConfig c, int[][] rows) {
    return TransformerLM.toDataSet(c.model().architecture(258, SEQ, 7), rows, PAD);
  }

  private static double maxAbs(INDArray a) {
    return a.amaxNumber().doubleValue();
  }

  private static double maxAbsDiff(INDArray a, INDArray b) {
    return a.sub(b).amaxNumber().doubleValue();
  }

  /**
   * Two micro-batches of 2 rows, accumulated, move the parameters as one step on the 4 rows at once,
   * over three steps, within float rounding: with plain SGD (which, unlike Adam and clipping, would show
   * a gradient off by any factor), and with Adam and clipping of the summed gradient (the threshold set
   * low so that clipping acts).
   */
  @Test
  void accumulatedStepEqualsOneStepOnTheConcatenatedBatch() {
    TrainConfig c = config("train.optim.gradient-clip=0.05", "train.grad-accumulation=2");
    assertAccumulationMatches(c, new org.nd4j.linalg.learning.config.Sgd(0.05), 0);
    assertAccumulationMatches(c, LocalTrainer.updater(c), c.optim().gradientClip());
  }

  private static void assertAccumulationMatches(TrainConfig c, org.nd4j.linalg.learning.config.IUpdater updater,
      double clip) {
    TransformerConfig arch = c.model().architecture(258, SEQ, 7);
    MultiLayerNetwork whole = TransformerLM.build(arch, updater);
    MultiLayerNetwork accumulated = TransformerLM.build(arch, updater);
    GradientClipping.apply(whole, clip);
    GradientClipping.apply(accumulated, clip);
    INDArray start = whole.params().dup();
    assertEquals(0.0, maxAbsDiff(start, accumulated.params()));
    OptimizerStep one = new OptimizerStep(whole, c.optim());
    OptimizerStep two = new OptimizerStep(accumulated, c.optim());
    for (int step = 0; step < 3; step++) {
      int[][] rows = rows(4, step);
      OptimizerStep.Result a = one.step(List.of(data(c, rows)));
      OptimizerStep.Result b = two.step(List.of(data(c, Arrays.copyOfRange(rows, 0, 2)),
          data(c, Arrays.copyOfRange(rows, 2, 4))));
      assertEquals(a.targets(), b.targets());
      assertEquals(a.meanTokenLoss(), b.meanTokenLoss(), 1e-5, "the same mean loss per token");
    }
    double moved = maxAbsDiff(whole.params(), start);
    double diff = maxAbsDiff(whole.params(), accumulated.params());
    assertTrue(moved > 1e-3, updater + ": the steps moved the parameters: " + moved);
    // float32 rounding of values of the size of the parameters (a gradient off by a factor would differ by ~moved)
    assertTrue(diff < 2e-6 * Math.max(1, maxAbs(whole.params())), updater + ": accumulated differs from the concatenated batch by " + diff
        + " (moved " + moved + ")");
    assertEquals(3, accumulated.getIterationCount());
  }

  /**
   * AdamW: the same step with and without decay differ by exactly {@code lr * lambda * w_before} on
   * decayed parameters and not at all on biases, LayerNorm gains and embeddings (the default exclusion).
   */
  @Test
  void decoupledWeightDecaySparesBiasesGainsAndEmbeddings() {
    TrainConfig plain = config();
    TrainConfig decayed = config("train.optim.weight-decay=0.5");
    assertEquals(java.util.Set.of("bias", "gain", "embedding"), decayed.optim().decayExclude());
    MultiLayerNetwork a = net(plain);
    MultiLayerNetwork b = net(decayed);
    INDArray before = a.params().dup();
    double lr = a.getLearningRate(0);
    new OptimizerStep(a, plain.optim()).step(List.of(data(plain, rows(3, 1))));
    new OptimizerStep(b, decayed.optim()).step(List.of(data(decayed, rows(3, 1))));
    INDArray mask = OptimizerStep.decayMask(b, decayed.optim());
    INDArray expected = a.params().sub(before.mul(mask).muli(lr * 0.5));
    assertTrue(maxAbsDiff(expected, b.params()) < 1e-7, "AdamW update: " + maxAbsDiff(expected, b.params()));

    Map<String, INDArray> table = b.getLayer(0).paramTable();
    long decayedCount = 0;
    for (Map.Entry<String, INDArray> e : table.entrySet()) {
      String role = OptimizerStep.role(b.getLayerWiseConfigurations().getConf(0).getLayer().initializer(),
          b.getLayerWiseConfigurations().getConf(0).getLayer(), e.getKey());
      long start = e.getValue().offset() - b.params().offset();
      double m = mask.getDouble(start);
      assertEquals(role.equals("weight") ? 1.0 : 0.0, m, e.getKey() + " (" + role + ")");
      decayedCount += role.equals("weight") ? e.getValue().length() : 0;
    }
    assertEquals(decayedCount, mask.sumNumber().longValue());
    assertTrue(table.keySet().containsAll(List.of("tokEmb", "l0ln1g", "l0bqkv", "l0Wqkv")), table.keySet().toString());

    TrainConfig all = config("train.optim.weight-decay=0.5", "train.optim.decay-exclude=[]");
    assertEquals(b.params().length(), OptimizerStep.decayMask(b, all.optim()).sumNumber().longValue());
  }

  @Test
  void badKeysAreNamed() {
    ConfigError e = assertThrows(ConfigError.class, () -> config("train.optim.decay-exclude=[bias, norms]"));
    assertTrue(e.getMessage().startsWith("train.optim.decay-exclude: unknown parameter role 'norms'"), e.getMessage());
    e = assertThrows(ConfigError.class, () -> config("train.optim.weight-decay=-1"));
    assertTrue(e.getMessage().startsWith("train.optim.weight-decay: must be in"), e.getMessage());
    e = assertThrows(ConfigError.class, () -> config("train.grad-accumulation=0"));
    assertTrue(e.getMessage().startsWith("train.grad-accumulation: must be in"), e.getMessage());
  }
}
