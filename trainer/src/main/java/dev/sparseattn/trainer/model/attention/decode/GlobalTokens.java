package dev.sparseattn.trainer.model.attention.decode;

import java.util.Arrays;
import java.util.TreeSet;

/**
 * Global token positions per batch row for decoding (Longformer's global attention, Beltagy et al. 2020, section
 * 3.1): the pattern's shared positions plus each row's own. Positions must count from the start: a position counted
 * from the end ({@code -1} = the last token) names a token whose place a left-to-right decode does not know until the
 * sequence is finished, so it is refused with a clear message.
 */
final class GlobalTokens {

    private final int[][] sorted;       // per row, ascending, unique
    private final boolean[][] isGlobal; // per row, index = position, up to the row's largest

    GlobalTokens(String pattern, int batch, int[] shared, int[][] perRow) {
        if (perRow != null && perRow.length != batch) {
            throw new IllegalArgumentException(pattern + " decode: global tokens for " + perRow.length
                    + " rows in a batch of " + batch);
        }
        sorted = new int[batch][];
        isGlobal = new boolean[batch][];
        for (int b = 0; b < batch; b++) {
            TreeSet<Integer> set = new TreeSet<>();
            add(pattern, set, shared);
            if (perRow != null) {
                add(pattern, set, perRow[b]);
            }
            sorted[b] = set.stream().mapToInt(Integer::intValue).toArray();
            isGlobal[b] = new boolean[sorted[b].length == 0 ? 0 : sorted[b][sorted[b].length - 1] + 1];
            for (int p : sorted[b]) {
                isGlobal[b][p] = true;
            }
        }
    }

    private static void add(String pattern, TreeSet<Integer> set, int[] positions) {
        for (int p : positions == null ? new int[0] : positions) {
            if (p < 0) {
                throw new IllegalArgumentException(pattern + " decode: global token " + p + " counts from the end of "
                        + "the sequence, which a left-to-right decode does not know; give global positions from the "
                        + "start (e.g. leading attention-sink tokens 0, 1, ...)");
            }
            set.add(p);
        }
    }

    /** Row {@code b}'s global positions, ascending. */
    int[] of(int b) {
        return sorted[b];
    }

    boolean is(int b, int p) {
        return p < isGlobal[b].length && isGlobal[b][p];
    }

    /** The largest global position of row {@code b}, -1 for none. */
    int last(int b) {
        return isGlobal[b].length - 1;
    }

    /** The largest global position over all rows, -1 for none. */
    int last() {
        return Arrays.stream(isGlobal).mapToInt(a -> a.length - 1).max().orElse(-1);
    }
}
