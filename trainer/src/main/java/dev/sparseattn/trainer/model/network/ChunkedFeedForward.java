package dev.sparseattn.trainer.model.network;

import dev.sparseattn.trainer.model.blocks.FeedForwardBranch;
import dev.sparseattn.trainer.model.ops.Alloc;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The feed-forward branch {@link FeedForwardBranch} applied to the sequence {@code chunk} rows at a time (Kitaev et
 * al. 2020, "Reformer", section 4: the position-wise network does not mix rows, so chunks are independent). Only one
 * chunk's {@code [chunk, ffnHidden]} activations exist at a time unless they are kept for an ordinary backward; the
 * parameter gradients are accumulated over chunks.
 */
final class ChunkedFeedForward {

    private final long chunk;
    private final List<FeedForwardBranch> parts = new ArrayList<>();   // one per chunk, state of a kept forward

    ChunkedFeedForward(long chunk) {
        this.chunk = chunk;
    }

    /**
     * @param x    input        // [N, d]
     * @param out  G(x)         // [N, d], overwritten
     * @param keep allocation of what {@link #backward} needs; null: nothing kept
     */
    @SuppressWarnings("try")
    void forward(INDArray x, FeedForwardBranch.Params p, INDArray out, Alloc keep) {
        RowChunks chunks = new RowChunks(x.size(0), chunk);
        while (parts.size() < chunks.count()) {
            parts.add(new FeedForwardBranch());
        }
        for (int c = 0; c < chunks.count(); c++) {
            try (MemoryWorkspace ignored = Scopes.open(Scopes.CHUNK)) {
                parts.get(c).forward(chunks.rows(x, c), p, chunks.rows(out, c), keep, Alloc.current(x.dataType()));
            }
        }
    }

    /**
     * Backward of the preceding kept {@link #forward}.
     *
     * @param dOut  gradient of G(x)               // [N, d]
     * @param grads parameter gradients, overwritten
     * @param dx    gradient of x, overwritten     // [N, d]
     * @param work  allocation for the accumulator of the parameter gradients (outlives the chunks)
     */
    @SuppressWarnings("try")
    void backward(INDArray dOut, FeedForwardBranch.Params p, FeedForwardBranch.Params grads, INDArray dx,
                  Alloc work) {
        RowChunks chunks = new RowChunks(dOut.size(0), chunk);
        FeedForwardBranch.Params partial = chunks.count() > 1 ? like(grads, work) : null;
        for (int c = 0; c < chunks.count(); c++) {
            try (MemoryWorkspace ignored = Scopes.open(Scopes.CHUNK)) {
                parts.get(c).backward(chunks.rows(dOut, c), p, c == 0 ? grads : partial, chunks.rows(dx, c),
                        Alloc.current(dOut.dataType()));
                if (c > 0) {
                    add(grads, partial);
                }
            }
        }
    }

    /**
     * Inverse and backward of the reversible update {@code y2 = x2 + m * G(y1)} (Gomez et al. 2017, Algorithm 1),
     * chunk by chunk with G recomputed: {@code y2} becomes {@code x2 = y2 - m * G(y1)}, {@code dy1} gets
     * {@code G'(y1)^T (m * dy2)} added, and the parameter gradients are overwritten.
     *
     * @param y1   first output (G's input)            // [N, d]
     * @param y2   second output; becomes x2           // [N, d]
     * @param dy1  gradient of y1, accumulated into    // [N, d]
     * @param dy2  gradient of y2                      // [N, d]
     * @param mask scaled dropout mask of G's output, or null   // [N, d]
     * @param work allocation for accumulators that outlive the chunks
     */
    @SuppressWarnings("try")
    void invertAndBackward(INDArray y1, INDArray y2, INDArray dy1, INDArray dy2, INDArray mask,
                           FeedForwardBranch.Params p, FeedForwardBranch.Params grads, Alloc work) {
        RowChunks chunks = new RowChunks(y1.size(0), chunk);
        FeedForwardBranch.Params partial = chunks.count() > 1 ? like(grads, work) : null;
        FeedForwardBranch branch = parts.isEmpty() ? new FeedForwardBranch() : parts.get(0);
        if (parts.isEmpty()) {
            parts.add(branch);
        }
        for (int c = 0; c < chunks.count(); c++) {
            try (MemoryWorkspace ignored = Scopes.open(Scopes.CHUNK)) {
                Alloc here = Alloc.current(y1.dataType());
                INDArray y1c = chunks.rows(y1, c);
                long rows = y1c.size(0);
                long d = y1c.size(1);
                INDArray g = branch.forward(y1c, p, here.create(rows, d), here, here);      // G(y1), kept
                INDArray dg = chunks.rows(dy2, c);
                if (mask != null) {
                    INDArray mc = chunks.rows(mask, c);
                    g.muli(mc);
                    dg = dg.mul(mc);
                }
                chunks.rows(y2, c).subi(g);                                                // x2 = y2 - m * G(y1)
                INDArray dx = here.create(rows, d);
                branch.backward(dg, p, c == 0 ? grads : partial, dx, here);
                chunks.rows(dy1, c).addi(dx);
                if (c > 0) {
                    add(grads, partial);
                }
                branch.clear();
            }
        }
    }

    /** Drops the kept state. */
    void clear() {
        parts.forEach(FeedForwardBranch::clear);
    }

    private static FeedForwardBranch.Params like(FeedForwardBranch.Params g, Alloc a) {
        return new FeedForwardBranch.Params(a.create(g.lnGain().shape()), a.create(g.lnBias().shape()),
                a.create(g.w1().shape()), a.create(g.b1().shape()), a.create(g.w2().shape()), a.create(g.b2().shape()));
    }

    private static void add(FeedForwardBranch.Params into, FeedForwardBranch.Params g) {
        into.lnGain().addi(g.lnGain());
        into.lnBias().addi(g.lnBias());
        into.w1().addi(g.w1());
        into.b1().addi(g.b1());
        into.w2().addi(g.w2());
        into.b2().addi(g.b2());
    }
}
