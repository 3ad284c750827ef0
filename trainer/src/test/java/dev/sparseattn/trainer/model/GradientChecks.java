package dev.sparseattn.trainer.model;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/** DL4J's own numerical gradient check on a whole network (in double), with the project's settings. */
public final class GradientChecks {

    private GradientChecks() {
    }

    /**
     * Draws the parameters larger than at initialisation (N(0, 0.3^2), seeded), so that softmax, GELU and LayerNorm
     * are exercised well away from linearity.
     */
    public static void largeParams(MultiLayerNetwork net) {
        Nd4j.getRandom().setSeed(3);
        net.setParams(Nd4j.randn(DataType.DOUBLE, 1, net.numParams()).muli(0.3));
    }

    /**
     * Central differences with epsilon 1e-6 against the network's backward pass, DL4J's usual tolerances (relative
     * 1e-3, absolute 1e-8), failures printed; with the data set's features (padding) and labels masks.
     *
     * @param maxPerParam check at most this many elements of each parameter array (0: every element)
     */
    public static boolean passes(MultiLayerNetwork net, DataSet ds, int maxPerParam) {
        GradientCheckUtil.MLNConfig check = new GradientCheckUtil.MLNConfig()
                .net(net)
                .input(ds.getFeatures())
                .labels(ds.getLabels())
                .inputMask(ds.getFeaturesMaskArray())
                .labelMask(ds.getLabelsMaskArray())
                .epsilon(1e-6)
                .maxRelError(1e-3)
                .minAbsoluteError(1e-8)
                .print(GradientCheckUtil.PrintMode.FAILURES_ONLY)
                .exitOnFirstError(false);
        if (maxPerParam > 0) {
            check.subset(true).maxPerParam(maxPerParam);
        }
        return GradientCheckUtil.checkGradients(check);
    }
}
