package dev.sparseattn.trainer.model.attention;

import dev.sparseattn.trainer.model.ops.Alloc;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A kernel whose training forward allocates what backward needs outside DL4J's working-memory workspace (which is
 * reset before backward), and which takes a key padding mask.
 */
abstract class DetachedAttention implements Attention {

    /** {@code [batch, L]}, 1 = real key, 0 = padding; null = all real. */
    protected INDArray keyMask;

    @Override
    @SuppressWarnings("try")
    public final void forward(INDArray q, INDArray k, INDArray v, INDArray out, Alloc keep) {
        try (MemoryWorkspace ignored = keep != null ? Nd4j.getMemoryManager().scopeOutOfWorkspaces() : null) {
            forwardDetached(q, k, v, out, keep);
        }
    }

    /** {@link #forward}, with allocations detached from workspaces when {@code keep} is non-null. */
    protected abstract void forwardDetached(INDArray q, INDArray k, INDArray v, INDArray out, Alloc keep);

    /** {@code [batch, L]} document ids ({@link Attention#setSegments}); null = one document. */
    protected INDArray segments;

    @Override
    public void setKeyMask(INDArray mask) {
        this.keyMask = mask;
    }

    @Override
    public void setSegments(INDArray segments) {
        this.segments = segments;
    }
}
