package dev.sparseattn.trainer.model.attention.decode;

import org.nd4j.linalg.api.buffer.DataType;

/**
 * Decode cache of Longformer's causal sliding window with per-head dilation and global tokens (Beltagy et al. 2020,
 * "Longformer: The Long-Document Transformer", section 3.1; the kernel is
 * {@link dev.sparseattn.trainer.model.attention.SlidingWindowAttention}). Query {@code i} of a head with dilation
 * {@code d} reads keys {@code i - t d} for {@code t = 0 .. w}, plus every global key {@code g <= i}; a global query
 * reads every key {@code j <= i}.
 *
 * <p>Memory does not grow with the context: a ring of the last {@code R = w * max(d) + 1} positions (all any later
 * query's window can reach) plus, kept for good, the positions {@code 0 .. G} up to the row's last global token
 * {@code G} (the global keys, and everything a global query reads). Global positions count from the start
 * ({@link GlobalTokens}: from the end is refused); leading tokens, e.g. StreamingLLM's attention sinks (Xiao et al.
 * 2023), cost {@code G + 1} slots.
 */
public final class SlidingWindowCache extends DecodeCache {

    private final int window;
    private final int[] dilations;   // per head
    private final int ring;          // R
    private final int head;          // slots before the ring: positions 0 .. head - 1 of the rows' global spans
    private final GlobalTokens global;

    /**
     * @param dilations one per head, or one for all
     * @param global    shared global positions (from the start)
     * @param perRow    each row's extra global positions, or null
     * @param storage   the model's data type (keys and values stored as floats or doubles)
     */
    public SlidingWindowCache(int batch, int heads, int dim, int window, int[] dilations, int[] global, int[][] perRow,
                              DataType storage) {
        this(batch, heads, dim, window, perHead(dilations, heads), new GlobalTokens("sliding-window", batch, global,
                perRow), storage);
    }

    private SlidingWindowCache(int batch, int heads, int dim, int window, int[] dilations, GlobalTokens global,
                               DataType storage) {
        super(batch, heads, dim, global.last() + 1 + ring(window, dilations), false, storage);
        this.window = window;
        this.dilations = dilations;
        this.ring = ring(window, dilations);
        this.head = global.last() + 1;
        this.global = global;
    }

    private static int ring(int window, int[] dilations) {
        int max = 1;
        for (int d : dilations) {
            max = Math.max(max, d);
        }
        return window * max + 1;
    }

    static int[] perHead(int[] dilations, int heads) {
        if (dilations == null || dilations.length == 0) {
            dilations = new int[] {1};
        }
        if (dilations.length != 1 && dilations.length != heads) {
            throw new IllegalArgumentException(dilations.length + " dilations for " + heads + " heads");
        }
        int[] out = new int[heads];
        for (int h = 0; h < heads; h++) {
            out[h] = dilations.length == 1 ? dilations[0] : dilations[h];
            if (out[h] < 1) {
                throw new IllegalArgumentException("dilations must be >= 1, got " + out[h]);
            }
        }
        return out;
    }

    @Override
    protected int slot(int b, int h, int p) {
        return p <= global.last(b) ? p : head + p % ring;
    }

    @Override
    protected int[][] prefillRanges(int b, int len) {
        int kept = Math.min(global.last(b) + 1, len);
        return new int[][] {{0, kept}, {Math.max(kept, len - ring), len}};
    }

    @Override
    protected void collect(int b, int h, int i, Slots out) {
        if (global.is(b, i)) {
            out.addRange(0, i + 1);               // i <= G: all in the kept span
            return;
        }
        int d = dilations[h];
        for (int t = 0; t <= window && i - t * d >= 0; t++) {
            out.add(slot(b, h, i - t * d));
        }
        for (int g : global.of(b)) {
            if (g > i) {
                break;
            }
            int back = i - g;
            if (back > window * d || back % d != 0) {  // not already in the window
                out.add(g);
            }
        }
    }
}
