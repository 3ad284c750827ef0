package dev.sparseattn.trainer.model.attention.decode;

/**
 * The keys and values a decode cache keeps, per batch row and head a run of {@code capacity} slots of
 * {@code headDim} doubles, plus a flag per slot (1 = a real token, 0 = padding or empty). One contiguous array each
 * for keys, values and flags: {@code k[((b * heads + h) * capacity + slot) * headDim + d]}. Patterns map positions to
 * slots (all positions, a ring, summary cells ...); a growable store doubles its capacity when a slot beyond it is
 * written, a fixed one refuses.
 *
 * <p>Stored in double whatever the model's type: a step computes in double, so a float32 model's cache is exact to
 * its inputs' precision (at twice a float cache's memory).
 */
final class KvStore {

    private final int batch;
    private final int heads;
    private final int dim;
    private final boolean growable;
    private int capacity;
    double[] k;
    double[] v;
    byte[] real;

    KvStore(int batch, int heads, int dim, int capacity, boolean growable) {
        this.batch = batch;
        this.heads = heads;
        this.dim = dim;
        this.growable = growable;
        this.capacity = Math.max(1, capacity);
        allocate(this.capacity);
    }

    int capacity() {
        return capacity;
    }

    /** Offset of slot {@code slot} of row {@code b}, head {@code h} in {@link #k} and {@link #v}. */
    int offset(int b, int h, int slot) {
        return (((b * heads) + h) * capacity + slot) * dim;
    }

    /** Index of the slot's flag in {@link #real}. */
    int flag(int b, int h, int slot) {
        return ((b * heads) + h) * capacity + slot;
    }

    /** Writes one key and value (from {@code src*[srcOff .. srcOff + dim)}) into a slot. */
    void put(int b, int h, int slot, double[] srcK, int kOff, double[] srcV, int vOff, boolean isReal) {
        if (slot >= capacity) {
            grow(slot + 1);
        }
        int o = offset(b, h, slot);
        System.arraycopy(srcK, kOff, k, o, dim);
        System.arraycopy(srcV, vOff, v, o, dim);
        real[flag(b, h, slot)] = (byte) (isReal ? 1 : 0);
    }

    /** Marks every slot of row {@code b} empty (the row starts a new sequence). */
    void clearRow(int b) {
        java.util.Arrays.fill(real, b * heads * capacity, (b + 1) * heads * capacity, (byte) 0);
    }

    /** Bytes held. */
    long bytes() {
        return 16L * k.length + real.length;
    }

    private void grow(int need) {
        if (!growable) {
            throw new IllegalStateException("decode cache slot " + (need - 1) + " beyond its fixed capacity "
                    + capacity);
        }
        int cap = Math.max(need, capacity * 2);
        double[] ok = k;
        double[] ov = v;
        byte[] or = real;
        int old = capacity;
        allocate(cap);
        for (int bh = 0; bh < batch * heads; bh++) {
            System.arraycopy(ok, bh * old * dim, k, bh * cap * dim, old * dim);
            System.arraycopy(ov, bh * old * dim, v, bh * cap * dim, old * dim);
            System.arraycopy(or, bh * old, real, bh * cap, old);
        }
        capacity = cap;
    }

    private void allocate(int cap) {
        k = new double[batch * heads * cap * dim];
        v = new double[batch * heads * cap * dim];
        real = new byte[batch * heads * cap];
    }
}
