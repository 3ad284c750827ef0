package dev.sparseattn.trainer.model.blocks;

import dev.sparseattn.trainer.model.ops.Alloc;
import dev.sparseattn.trainer.model.ops.Gelu;
import dev.sparseattn.trainer.model.ops.LayerNorm;
import dev.sparseattn.trainer.model.ops.Linear;
import dev.sparseattn.trainer.model.ops.StepTimer;
import dev.sparseattn.trainer.model.ops.StepTimer.Section;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Position-wise feed-forward branch (Vaswani et al. 2017, section 3.3, with GPT-2's pre-LayerNorm and GELU):
 * {@code G(x) = GELU(LN(x) W1 + b1) W2 + b2}. Stateful between forward and backward; one instance per layer.
 */
public final class FeedForwardBranch {

    /** The branch's parameters (or their gradients, same shapes). */
    public record Params(INDArray lnGain, INDArray lnBias, INDArray w1, INDArray b1, INDArray w2, INDArray b2) {
    }

    private INDArray h;      // LN(x)                        [N, d]
    private INDArray xhat;   //                              [N, d]
    private INDArray rstd;   //                              [N, 1]
    private INDArray pre;    // LN(x) W1 + b1                [N, f]
    private INDArray sig;    // GELU's sigmoid(2u), for backward [N, f]
    private INDArray act;    // GELU(pre)                    [N, f]

    /**
     * @param x    input rows  // [N, d]
     * @param p    parameters
     * @param out  G(x)        // [N, d], overwritten
     * @param keep allocation of what backward needs; null for inference
     * @param work allocation of temporaries
     */
    @SuppressWarnings("try")
    public INDArray forward(INDArray x, Params p, INDArray out, Alloc keep, Alloc work) {
        long n = x.size(0);
        long d = x.size(1);
        long f = p.w1().size(1);
        Alloc a = keep != null ? keep : work;
        INDArray hh = a.create(n, d);
        INDArray xh = a.create(n, d);
        INDArray rs = a.create(n, 1);
        LayerNorm.forward(x, p.lnGain(), p.lnBias(), hh, xh, rs);
        INDArray z = a.create(n, f);                                                     // [N, f]
        INDArray t = a.create(n, f);
        INDArray g = a.create(n, f);
        try (StepTimer.Span ignored = StepTimer.open(Section.FEED_FORWARD)) {
            Linear.forward(hh, p.w1(), p.b1(), z);
            Gelu.forward(z, g, t);
            Linear.forward(g, p.w2(), p.b2(), out);
        }
        if (keep != null) {
            h = hh;
            xhat = xh;
            rstd = rs;
            pre = z;
            sig = t;
            act = g;
        } else {
            clear();
        }
        return out;
    }

    /**
     * Backward of the preceding training {@link #forward}.
     *
     * @param dOut  gradient of G(x)   // [N, d]
     * @param p     parameters
     * @param grads parameter gradients, overwritten
     * @param dx    gradient of x      // [N, d], overwritten
     */
    @SuppressWarnings("try")
    public void backward(INDArray dOut, Params p, Params grads, INDArray dx, Alloc work) {
        if (act == null) {
            throw new IllegalStateException("backward needs a preceding training forward");
        }
        long n = dOut.size(0);
        INDArray dAct = work.create(n, act.size(1));
        INDArray dh = work.create(n, dOut.size(1));
        try (StepTimer.Span ignored = StepTimer.open(Section.FEED_FORWARD)) {
            Linear.backward(act, p.w2(), dOut, grads.w2(), grads.b2(), dAct);
            Gelu.backward(pre, sig, dAct, dAct, work);                                    // now d(pre)
            Linear.backward(h, p.w1(), dAct, grads.w1(), grads.b1(), dh);
        }
        LayerNorm.backward(dh, xhat, rstd, p.lnGain(), dx, grads.lnGain(), grads.lnBias());
    }

    /** Drops the state kept for backward. */
    public void clear() {
        h = null;
        xhat = null;
        rstd = null;
        pre = null;
        sig = null;
        act = null;
    }
}
