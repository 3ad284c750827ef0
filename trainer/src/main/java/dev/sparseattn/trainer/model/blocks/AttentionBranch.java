package dev.sparseattn.trainer.model.blocks;

import dev.sparseattn.trainer.model.attention.Attention;
import dev.sparseattn.trainer.model.ops.Alloc;
import dev.sparseattn.trainer.model.ops.LayerNorm;
import dev.sparseattn.trainer.model.ops.Linear;
import dev.sparseattn.trainer.model.ops.Rotary;
import dev.sparseattn.trainer.model.ops.StepTimer;
import dev.sparseattn.trainer.model.ops.StepTimer.Section;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Causal multi-head self-attention branch (Vaswani et al. 2017, section 3.2, with GPT-2's pre-LayerNorm):
 * {@code F(x) = Attention(LN(x) Wqkv + bqkv) Wo + bo}, with a fused QKV projection whose columns are
 * {@code [q | k | v]}, each split into heads of {@code headDim} consecutive columns. Stateful between forward and
 * backward; one instance per layer.
 */
public final class AttentionBranch {

    /** The branch's parameters (or their gradients, same shapes). */
    public record Params(INDArray lnGain, INDArray lnBias, INDArray wqkv, INDArray bqkv, INDArray wo, INDArray bo) {
    }

    private final Attention attention;
    private final int nHeads;
    private INDArray keyMask;   // [batch, L] padding mask handed to the kernel, or null
    private long batch;
    private long len;
    private INDArray h;      // LN(x)            [N, d]
    private INDArray xhat;   //                  [N, d]
    private INDArray rstd;   //                  [N, 1]
    private INDArray ctx;    // attention output [N, d] = [batch, L, heads, headDim]
    private boolean rotary;  // RoPE on q and k after the projection (positions 0 .. L-1 of each row)

    /** Receives a forward's queries, keys and values (rotated when rotary), e.g. to fill a decode cache. */
    @FunctionalInterface
    public interface QkvSink {
        /** Each {@code [batch, heads, L, headDim]}, views valid during the call only. */
        void accept(INDArray q, INDArray k, INDArray v);
    }

    public AttentionBranch(Attention attention, int nHeads) {
        this.attention = attention;
        this.nHeads = nHeads;
    }

    /**
     * Rotary positions (RoPE, Su et al. 2021): q and k are rotated by their position ({@link Rotary}) after the
     * projection, in the forward and (transposed) in the backward.
     */
    public AttentionBranch rotary(boolean on) {
        this.rotary = on;
        return this;
    }

    /** Whether q and k are rotated by position. */
    public boolean rotary() {
        return rotary;
    }

    /** Inference {@link #forward} that hands the (rotated) q, k, v to {@code sink} before the attention. */
    public INDArray forwardWithQkv(INDArray x, long batch, long len, Params p, INDArray out, Alloc work, QkvSink sink) {
        return forward(x, batch, len, p, out, null, work, sink);
    }

    /**
     * Key padding mask of the following forward passes, {@code [batch, L]} (1 = real token, 0 = padding, which no
     * query attends to), or null for none; values {@code k >= 1} number documents of packed rows (a document mask,
     * {@link Attention#setSegments}: positions attend within their document only); handed to the kernel ({@link Attention#setKeyMask}) only when it changes,
     * so an unpadded batch after an unpadded one costs nothing, and a backward keeps seeing the mask of its forward.
     * The array is used by reference: it must not be modified while it is set.
     *
     * @throws UnsupportedOperationException if the kernel has no key padding mask and {@code mask} is non-null
     */
    @SuppressWarnings("try")
    public void setKeyMask(INDArray mask) {
        if (mask != keyMask) {
            if (mask == null || mask.maxNumber().doubleValue() <= 1) {
                attention.setSegments(null);
                attention.setKeyMask(mask);
            } else {
                // documents numbered 1, 2, ..: the kernel gets the padding (0) as its key mask and the numbers as
                // document ids; the derived mask outlives this call's workspaces, as the caller's does
                try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
                    attention.setKeyMask(mask.minNumber().doubleValue() > 0 ? null
                            : mask.gt(0.0).castTo(mask.dataType()));
                }
                attention.setSegments(mask);
            }
            keyMask = mask;
        }
    }

    /**
     * @param x     input rows  // [N, d], N = batch * len
     * @param p     parameters
     * @param out   F(x)        // [N, d], overwritten
     * @param keep  allocation of what backward needs; null for inference
     * @param work  allocation of temporaries
     */
    public INDArray forward(INDArray x, long batch, long len, Params p, INDArray out, Alloc keep, Alloc work) {
        return forward(x, batch, len, p, out, keep, work, null);
    }

    @SuppressWarnings("try")
    private INDArray forward(INDArray x, long batch, long len, Params p, INDArray out, Alloc keep, Alloc work,
                             QkvSink sink) {
        long n = x.size(0);
        long d = x.size(1);
        Alloc a = keep != null ? keep : work;
        INDArray hh = a.create(n, d);
        INDArray xh = a.create(n, d);
        INDArray rs = a.create(n, 1);
        LayerNorm.forward(x, p.lnGain(), p.lnBias(), hh, xh, rs);
        INDArray qkv = a.create(n, 3 * d);                                                  // [N, 3d]
        try (StepTimer.Span ignored = StepTimer.open(Section.ATTENTION_PROJECTIONS)) {
            Linear.forward(hh, p.wqkv(), p.bqkv(), qkv);
        }
        INDArray c = a.create(n, d);
        INDArray q = heads(qkv, 3, 0, batch, len);                                          // [batch, H, L, hd]
        INDArray k = heads(qkv, 3, 1, batch, len);
        INDArray v = heads(qkv, 3, 2, batch, len);
        try (StepTimer.Span ignored = StepTimer.open(Section.ATTENTION)) {
            if (rotary) {
                Rotary.forward(q, null, Rotary.BASE, q);
                Rotary.forward(k, null, Rotary.BASE, k);
            }
            if (sink != null) {
                sink.accept(q, k, v);
            }
            attention.forward(q, k, v, heads(c, 1, 0, batch, len), keep);
        }
        try (StepTimer.Span ignored = StepTimer.open(Section.ATTENTION_PROJECTIONS)) {
            Linear.forward(c, p.wo(), p.bo(), out);
        }
        if (keep != null) {
            this.batch = batch;
            this.len = len;
            this.h = hh;
            this.xhat = xh;
            this.rstd = rs;
            this.ctx = c;
        } else {
            clear();
        }
        return out;
    }

    /**
     * Backward of the preceding training {@link #forward}.
     *
     * @param dOut  gradient of F(x)                  // [N, d]
     * @param p     parameters
     * @param grads parameter gradients, overwritten
     * @param dx    gradient of x                     // [N, d], overwritten
     */
    @SuppressWarnings("try")
    public void backward(INDArray dOut, Params p, Params grads, INDArray dx, Alloc work) {
        if (ctx == null) {
            throw new IllegalStateException("backward needs a preceding training forward");
        }
        long n = dOut.size(0);
        long d = dOut.size(1);
        INDArray dCtx = work.create(n, d);
        try (StepTimer.Span ignored = StepTimer.open(Section.ATTENTION_PROJECTIONS)) {
            Linear.backward(ctx, p.wo(), dOut, grads.wo(), grads.bo(), dCtx);
        }
        INDArray dQkv = work.create(n, 3 * d);
        INDArray dq = heads(dQkv, 3, 0, batch, len);
        INDArray dk = heads(dQkv, 3, 1, batch, len);
        try (StepTimer.Span ignored = StepTimer.open(Section.ATTENTION)) {
            attention.backward(heads(dCtx, 1, 0, batch, len), dq, dk, heads(dQkv, 3, 2, batch, len));
            if (rotary) {                                       // gradient of the rotated q, k -> of the projected
                Rotary.backward(dq, null, Rotary.BASE, dq);
                Rotary.backward(dk, null, Rotary.BASE, dk);
            }
        }
        INDArray dh = work.create(n, d);
        try (StepTimer.Span ignored = StepTimer.open(Section.ATTENTION_PROJECTIONS)) {
            Linear.backward(h, p.wqkv(), dQkv, grads.wqkv(), grads.bqkv(), dh);
        }
        LayerNorm.backward(dh, xhat, rstd, p.lnGain(), dx, grads.lnGain(), grads.lnBias());
    }

    /** Drops the state kept for backward. */
    public void clear() {
        h = null;
        xhat = null;
        rstd = null;
        ctx = null;
        attention.clear();
    }

    /**
     * Column group {@code part} of {@code rows} ({@code [N, parts * d]}, c-order) seen as attention heads:
     * a strided view {@code [batch, heads, L, headDim]}, so heads are split and merged without copies.
     */
    private INDArray heads(INDArray rows, int parts, int part, long batch, long len) {
        long headDim = rows.size(1) / parts / nHeads;
        return rows.reshape('c', batch, len, parts, nHeads, headDim)                    // [batch, L, parts, heads, hd]
                .permute(2, 0, 3, 1, 4)                                                  // [parts, batch, heads, L, hd]
                .get(NDArrayIndex.point(part), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(),
                        NDArrayIndex.all());
    }
}
