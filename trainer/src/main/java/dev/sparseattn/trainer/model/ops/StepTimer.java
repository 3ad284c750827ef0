package dev.sparseattn.trainer.model.ops;

import java.util.ArrayDeque;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Instrumented profile of a training step: wall time spent in named sections, each counted exclusively (time in a
 * nested section is not counted again in the enclosing one). Off unless the JVM starts with
 * {@code -Dsparseattn.profile=true}: {@link #ON} is a constant, so {@link #open} returns a shared no-op span and the
 * JIT removes the rest. ND4J's CPU backend runs ops synchronously, so wall time around a call is the op's time.
 *
 * <pre>
 *   try (StepTimer.Span ignored = StepTimer.open(StepTimer.Section.ATTENTION)) { ... }
 * </pre>
 */
public final class StepTimer {

    /** Whether profiling is on (system property {@code sparseattn.profile}, read once). */
    public static final boolean ON = Boolean.getBoolean("sparseattn.profile");

    /** The named parts of a step. */
    public enum Section {
        /** Reading and converting a minibatch (shards to ids to a DataSet). */
        DATA,
        /** Token and position embeddings, forward and backward (gather, scatter-add). */
        EMBEDDING,
        /** Every LayerNorm, forward and backward (blocks and the final one). */
        LAYER_NORM,
        /** Fused QKV and output projections of the attention branch, forward and backward. */
        ATTENTION_PROJECTIONS,
        /** The attention kernel (scores, softmax, weighted values; rotary rotation), forward and backward. */
        ATTENTION,
        /** Feed-forward W1, GELU, W2, forward and backward (with the reversible recomputation). */
        FEED_FORWARD,
        /** Output projection, softmax cross-entropy and its gradient (not the final LayerNorm). */
        HEAD_LOSS,
        /** The rest of the layer's call: residual sums, dropout masks, copies, id checks, workspace scopes. */
        LAYER_OTHER,
        /** DL4J around the layer: {@code computeGradientAndScore} minus the layer's call. */
        FRAMEWORK,
        /** The updater (gradient clipping, Adam) and the parameter update. */
        OPTIMIZER
    }

    /** A timed section; closing it ends it. */
    public interface Span extends AutoCloseable {
        @Override
        void close();
    }

    private static final Span NOOP = () -> { };
    private static final AtomicLongArray NANOS = new AtomicLongArray(Section.values().length);
    private static final ThreadLocal<ArrayDeque<long[]>> STACK = ThreadLocal.withInitial(ArrayDeque::new);
    private static final Span ACTIVE = StepTimer::pop;

    private StepTimer() {
    }

    /** Starts {@code section} (a no-op when off). */
    public static Span open(Section section) {
        if (!ON) {
            return NOOP;
        }
        STACK.get().push(new long[] {section.ordinal(), System.nanoTime(), 0});   // section, start, nested nanos
        return ACTIVE;
    }

    private static void pop() {
        ArrayDeque<long[]> stack = STACK.get();
        long[] top = stack.pop();
        long elapsed = System.nanoTime() - top[1];
        NANOS.addAndGet((int) top[0], elapsed - top[2]);
        long[] parent = stack.peek();
        if (parent != null) {
            parent[2] += elapsed;
        }
    }

    /** Exclusive seconds per section since the last reset, and resets them. */
    public static Map<Section, Double> drain() {
        Map<Section, Double> out = new EnumMap<>(Section.class);
        for (Section s : Section.values()) {
            out.put(s, NANOS.getAndSet(s.ordinal(), 0) / 1e9);
        }
        return out;
    }
}
