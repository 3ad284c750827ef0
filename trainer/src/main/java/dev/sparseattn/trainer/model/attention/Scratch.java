package dev.sparseattn.trainer.model.attention;

import java.util.EnumMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reusable per-thread buffers for the temporaries of one forward or backward call. A fresh off-heap array of tens
 * of MB costs about as much as the matrix product that fills it (measured: 20 ms for 33 MB, the price of a
 * [4 x 64 x 256 x 512 x 64] batched product on two cores), so the hot paths take their large temporaries from here.
 * A buffer is shared by all layers that run on the same thread (they run one after another) and grows to the
 * largest request; it lives outside DL4J's workspaces. Each {@link Slot} holds one temporary at a time: a caller
 * must be done with a slot's contents before anything it calls asks for the same slot.
 */
final class Scratch {

    /** The independent temporaries of a call. */
    enum Slot {
        /** A chunk of score-shaped temporaries (score gradients). */
        SCORES,
        /** Key-block products before they are folded into the padded keys. */
        KEY_BLOCKS,
        /** Query-row temporaries: element-wise products. */
        ROWS,
        /** Per-query scalars: {@code rowsum(dO * O)}. */
        ROW_DOT,
        /** Key or value blocks gathered for one extra (random) block slot. */
        GATHERED,
        /** Gradients of one extra block slot summed into the padded key layout. */
        SCATTERED,
        /** LSH: which key pairs are allowed, a few slices at a time. */
        MASK,
        /** LSH: in how many hash rounds each pair meets. */
        MASK_COUNT
    }

    private static final ThreadLocal<Map<Slot, INDArray>> BUFFERS = ThreadLocal.withInitial(() -> new EnumMap<>(Slot.class));

    private Scratch() {
    }

    /** The first {@code prod(shape)} elements of this thread's buffer for {@code slot}, c-ordered, uninitialised. */
    @SuppressWarnings("try")
    static INDArray get(Slot slot, DataType type, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        Map<Slot, INDArray> buffers = BUFFERS.get();
        INDArray buf = buffers.get(slot);
        if (buf == null || buf.wasClosed() || buf.dataType() != type || buf.length() < n) {
            Views.release(buf);
            try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
                buf = Nd4j.createUninitialized(type, n);
            }
            buffers.put(slot, buf);
        }
        return Views.prefix(buf, shape);
    }

    /**
     * Frees this thread's buffers of {@code slots} (a later request allocates again): for temporaries too large to
     * keep beside what the backward pass needs, e.g. LSH's mask buffers of a forward pass.
     */
    static void release(Slot... slots) {
        Map<Slot, INDArray> buffers = BUFFERS.get();
        for (Slot slot : slots) {
            Views.release(buffers.remove(slot));
        }
    }
}
