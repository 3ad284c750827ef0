package dev.sparseattn.trainer.model.attention.decode;

import java.util.Arrays;

/** A reusable, growable list of cache slots (the keys one query reads), without duplicates by the pattern's rules. */
final class Slots {

    int[] a = new int[64];
    int n;

    void clear() {
        n = 0;
    }

    void add(int slot) {
        if (n == a.length) {
            a = Arrays.copyOf(a, 2 * n);
        }
        a[n++] = slot;
    }

    /** Adds {@code from, from + 1, .., to - 1}. */
    void addRange(int from, int to) {
        for (int s = from; s < to; s++) {
            add(s);
        }
    }
}
