package dev.sparseattn.trainer.generate;

import static dev.sparseattn.trainer.model.network.LmParams.block;

import dev.sparseattn.trainer.model.blocks.AttentionBranch;
import dev.sparseattn.trainer.model.blocks.FeedForwardBranch;
import dev.sparseattn.trainer.model.network.LmParams;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One block's parameters: the network's arrays (for the prefill through the training code's branches) and plain
 * copies for the steps (vectors in double; weight matrices row-major {@code [in, out]}, {@link Weights}: floats for a
 * float32 model, else doubles). A snapshot: later training does not reach it.
 */
record BlockWeights(AttentionBranch.Params attention, FeedForwardBranch.Params feedForward,
                    double[] ln1g, double[] ln1b, Weights wqkv, double[] bqkv, Weights wo, double[] bo,
                    double[] ln2g, double[] ln2b, Weights w1, double[] b1, Weights w2, double[] b2) {

    static BlockWeights of(Map<String, INDArray> p, int i) {
        AttentionBranch.Params a = new AttentionBranch.Params(p.get(block(i, LmParams.LN1_GAIN)),
                p.get(block(i, LmParams.LN1_BIAS)), p.get(block(i, LmParams.W_QKV)), p.get(block(i, LmParams.B_QKV)),
                p.get(block(i, LmParams.W_O)), p.get(block(i, LmParams.B_O)));
        FeedForwardBranch.Params f = new FeedForwardBranch.Params(p.get(block(i, LmParams.LN2_GAIN)),
                p.get(block(i, LmParams.LN2_BIAS)), p.get(block(i, LmParams.W_1)), p.get(block(i, LmParams.B_1)),
                p.get(block(i, LmParams.W_2)), p.get(block(i, LmParams.B_2)));
        return new BlockWeights(a, f, doubles(a.lnGain()), doubles(a.lnBias()), Weights.of(a.wqkv()),
                doubles(a.bqkv()), Weights.of(a.wo()), doubles(a.bo()), doubles(f.lnGain()), doubles(f.lnBias()),
                Weights.of(f.w1()), doubles(f.b1()), Weights.of(f.w2()), doubles(f.b2()));
    }

    /** A c-order double copy of {@code a}. */
    static double[] doubles(INDArray a) {
        return a.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    }
}
