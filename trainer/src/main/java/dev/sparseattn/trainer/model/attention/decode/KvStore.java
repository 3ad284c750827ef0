package dev.sparseattn.trainer.model.attention.decode;

/**
 * The keys and values a decode cache keeps, per batch row and head a run of {@code capacity} slots of
 * {@code headDim} doubles, plus a flag per slot (1 = a real token, 0 = padding or empty). One contiguous array each
 * for keys, values and flags: {@code k[((b * heads + h) * capacity + slot) * headDim + d]}. Patterns map positions to
 * slots (all positions, a ring, summary cells ...); a growable store doubles its capacity when a slot beyond it is
 * written, a fixed one refuses.
 *
 * <p>Stored in the model's precision: double for a double model, float for a float32 model ({@code single}; one of
 * {@link #k}/{@link #kf} and {@link #v}/{@link #vf} is used, the other is null). A float store halves the bytes a
 * step streams through (a dense step at 4k context reads every cached key and value once), and its products run in
 * float ({@link DecodeCache}), which the JIT vectorises.
 */
final class KvStore {

    private final int batch;
    private final int heads;
    private final int dim;
    private final boolean growable;
    final boolean single;
    private int capacity;
    double[] k;
    double[] v;
    float[] kf;
    float[] vf;
    byte[] real;

    /** @param single store floats (a float32 model), else doubles */
    KvStore(int batch, int heads, int dim, int capacity, boolean growable, boolean single) {
        this.batch = batch;
        this.heads = heads;
        this.dim = dim;
        this.growable = growable;
        this.single = single;
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
        if (single) {
            for (int d = 0; d < dim; d++) {
                kf[o + d] = (float) srcK[kOff + d];
                vf[o + d] = (float) srcV[vOff + d];
            }
        } else {
            System.arraycopy(srcK, kOff, k, o, dim);
            System.arraycopy(srcV, vOff, v, o, dim);
        }
        real[flag(b, h, slot)] = (byte) (isReal ? 1 : 0);
    }

    /** Copies the key at offset {@code o} into {@code out[off .. off + dim)} (widened from float if stored so). */
    void readKey(int o, double[] out, int off) {
        if (single) {
            for (int d = 0; d < dim; d++) {
                out[off + d] = kf[o + d];
            }
        } else {
            System.arraycopy(k, o, out, off, dim);
        }
    }

    /** Overwrites the key at offset {@code o} with {@code src[off .. off + dim)} (rounded to float if stored so). */
    void writeKey(int o, double[] src, int off) {
        if (single) {
            for (int d = 0; d < dim; d++) {
                kf[o + d] = (float) src[off + d];
            }
        } else {
            System.arraycopy(src, off, k, o, dim);
        }
    }

    /** Marks every slot of row {@code b} empty (the row starts a new sequence). */
    void clearRow(int b) {
        java.util.Arrays.fill(real, b * heads * capacity, (b + 1) * heads * capacity, (byte) 0);
    }

    /** Bytes held. */
    long bytes() {
        return single ? 8L * kf.length + real.length : 16L * k.length + real.length;
    }

    private void grow(int need) {
        if (!growable) {
            throw new IllegalStateException("decode cache slot " + (need - 1) + " beyond its fixed capacity "
                    + capacity);
        }
        int cap = Math.max(need, capacity * 2);
        Object ok = single ? kf : k;
        Object ov = single ? vf : v;
        byte[] or = real;
        int old = capacity;
        allocate(cap);
        for (int bh = 0; bh < batch * heads; bh++) {
            System.arraycopy(ok, bh * old * dim, single ? kf : k, bh * cap * dim, old * dim);
            System.arraycopy(ov, bh * old * dim, single ? vf : v, bh * cap * dim, old * dim);
            System.arraycopy(or, bh * old, real, bh * cap, old);
        }
        capacity = cap;
    }

    private void allocate(int cap) {
        int n = batch * heads * cap * dim;
        if (single) {
            kf = new float[n];
            vf = new float[n];
        } else {
            k = new double[n];
            v = new double[n];
        }
        real = new byte[batch * heads * cap];
    }
}
