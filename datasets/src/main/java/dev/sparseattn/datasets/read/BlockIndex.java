package dev.sparseattn.datasets.read;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.util.List;

/**
 * Where the splits of a block-compressed file ({@link Bgzf}, {@link Bzip2}) start, compressed and
 * decompressed (the first block starting in each split's compressed range, and the decompressed bytes
 * before it), where the last block before each split's first one starts (compressed and decompressed,
 * -1 if none: for reads that start just before a split, as finding its first record does), and the
 * file's decompressed length: what a task needs to read any decompressed range ({@link #input}).
 * Arrays are indexed by split.
 */
public record BlockIndex(Codec codec, long[] compressed, long[] decompressed, long[] lastCompressed,
    long[] lastDecompressed, long length) implements Serializable {
  /** The block compression of the file. */
  public enum Codec { BGZF, BZIP2 }

  /**
   * The index from each split's compressed range's blocks, in file order, each {@code {first block,
   * decompressed bytes of the blocks starting in the range, start of the last of them (-1 if none),
   * decompressed bytes before it, where the next block starts (or the end of the file)}} ({@link
   * Bgzf#blocks}, {@link Bzip2#blocks}); fails if the ranges' blocks do not line up (each range's next
   * block is the next range's first, the last range's next is the end of the file): a corrupt file.
   */
  public static BlockIndex chain(Codec codec, List<long[]> blocks, long compressedLength) throws IOException {
    int n = blocks.size();
    for (int k = 0; k < n; k++) {
      long next = k + 1 < n ? blocks.get(k + 1)[0] : compressedLength;
      if (blocks.get(k)[4] != next) {
        throw new IOException(codec + " blocks do not line up at compressed offset " + blocks.get(k)[4]
            + " (next block found at " + next + "): corrupt");
      }
    }
    long[] c = new long[n];
    long[] d = new long[n];
    long[] lc = new long[n];
    long[] ld = new long[n];
    long total = 0;
    for (int k = 0; k < n; k++) {
      long[] b = blocks.get(k);
      c[k] = b[0];
      d[k] = total;
      lc[k] = k == 0 ? -1 : blocks.get(k - 1)[2] >= 0 ? blocks.get(k - 1)[2] : lc[k - 1];
      ld[k] = k == 0 ? -1 : blocks.get(k - 1)[2] >= 0 ? d[k - 1] + blocks.get(k - 1)[3] : ld[k - 1];
      total += b[1];
    }
    return new BlockIndex(codec, c, d, lc, ld, total);
  }

  /** The decompressed file read through {@code raw}, the compressed file. */
  public RangeInput input(RangeInput raw) {
    BlockIndex index = this;
    return new RangeInput() {
      @Override
      public long length() {
        return index.length;
      }

      @Override
      public InputStream openAt(long position) throws IOException {
        int k = 0;
        while (k + 1 < decompressed.length && decompressed[k + 1] <= position) {
          k++;
        }
        long c = compressed[k];
        long d = decompressed[k];
        if (k + 1 < decompressed.length && lastDecompressed[k + 1] >= d && lastDecompressed[k + 1] <= position) {
          c = lastCompressed[k + 1]; // the last block before the next split: no need to decompress this split
          d = lastDecompressed[k + 1];
        }
        InputStream in = codec == Codec.BGZF ? Bgzf.decompressed(raw, c) : Bzip2.decompressed(raw, c);
        try {
          in.skipNBytes(position - d);
        } catch (java.io.EOFException e) {
          throw new java.io.EOFException(codec + " file ends before decompressed position " + position);
        }
        return in;
      }
    };
  }
}
