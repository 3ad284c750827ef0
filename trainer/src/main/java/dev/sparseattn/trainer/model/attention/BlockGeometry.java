package dev.sparseattn.trainer.model.attention;

/**
 * Layout of a banded block computation over a sequence of {@code len} positions: queries are cut into
 * {@code blocks} blocks of {@code size} (the last one padded), and query block {@code n} sees the key blocks
 * {@code n - before .. n + after}, i.e. {@code keys = (before + 1 + after) * size} keys. Keys and values are stored
 * padded by {@code before} blocks in front and {@code after} blocks (plus the tail of the last block) behind, so that
 * the key blocks of all query blocks are one strided, overlapping view of the padded array (no copies).
 *
 * @param len    sequence length
 * @param size   block size
 * @param blocks number of query blocks, {@code ceil(len / size)}
 * @param before key blocks before the query block
 * @param after  key blocks after the query block
 */
public record BlockGeometry(int len, int size, int blocks, int before, int after) {

    /**
     * The geometry for a band of reach {@code reach} ({@code |i - j| <= reach}, or {@code 0 <= i - j <= reach} when
     * causal) in blocks of {@code size} (0: {@code min(reach, len)}).
     */
    public static BlockGeometry band(int len, int reach, int size, boolean causal) {
        int bs = size > 0 ? Math.min(size, len) : Math.max(1, Math.min(reach > 0 ? reach : 64, len));
        int blocks = (len + bs - 1) / bs;
        int side = Math.min((reach + bs - 1) / bs, blocks - 1);   // neighbours beyond the ends would be all padding
        return new BlockGeometry(len, bs, blocks, side, causal ? 0 : side);
    }

    /** Keys seen by one query block. */
    public int keys() {
        return (before + 1 + after) * size;
    }

    /** Padded query length, {@code blocks * size}. */
    public int paddedQueries() {
        return blocks * size;
    }

    /** Padded key length, {@code (blocks + before + after) * size}. */
    public int paddedKeys() {
        return (blocks + before + after) * size;
    }

    /** Offset of key position 0 inside the padded keys. */
    public int front() {
        return before * size;
    }
}
