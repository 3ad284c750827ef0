package dev.sparseattn.datasets.read;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import org.apache.hadoop.io.compress.SplittableCompressionCodec.READ_MODE;
import org.apache.hadoop.io.compress.bzip2.CBZip2InputStream;
import org.apache.hadoop.io.compress.bzip2.CBZip2OutputStream;

/**
 * bzip2 read in byte ranges (Seward's bzip2 format, as documented in J. Seward, "bzip2 and libbzip2",
 * and decoded by Hadoop's {@code CBZip2InputStream}): a stream is a {@code BZh1}..{@code BZh9} header,
 * blocks each starting with the 48-bit magic {@code 0x314159265359} (at any bit position: blocks are
 * not byte-aligned) and carrying their own CRC, and a 48-bit end-of-stream magic {@code
 * 0x177245385090} with the combined CRC; files may hold several streams one after another (pbzip2,
 * lbzip2). Hadoop's {@code READ_MODE.BYBLOCK} decoder finds the next block magic from any byte and
 * reports each block's position as the byte holding the magic's first bit; a block is owned by the
 * compressed range holding that byte, so ranges cut at any byte own disjoint blocks that line up
 * ({@link #blocks}). Unlike BGZF, a bzip2 block does not state its decompressed size, so the blocks
 * are decompressed once to count it (pass one) and again to read (pass two).
 */
public final class Bzip2 {
  private static final long EOS = 0x177245385090L;
  private static final int BUFFER = 1 << 16;

  private Bzip2() {}

  /** Whether {@code in} starts with a bzip2 stream header ({@code BZh} and a block size digit). */
  public static boolean isBzip2(InputStream in) throws IOException {
    byte[] b = in.readNBytes(4);
    return b.length == 4 && b[0] == 'B' && b[1] == 'Z' && b[2] == 'h' && b[3] >= '1' && b[3] <= '9';
  }

  /**
   * The blocks owned by compressed bytes {@code [start, end)} (those whose magic's first bit lies in
   * them), decompressed to count their bytes (every block's CRC checked): {@code {first block at or
   * after start (the file's length if none), decompressed bytes, start of the last block (-1 if none),
   * decompressed bytes before it, start of the next block after them (the file's length if none)}}. A
   * range that reads to the end of the file checks that the file ends with an end-of-stream magic and
   * CRC, so a file cut exactly after a block fails too.
   */
  public static long[] blocks(RangeInput raw, long start, long end) throws IOException {
    try (Decoding in = new Decoding(raw, start)) {
      long first = in.blockStart();
      long total = 0;
      long last = -1;
      long beforeLast = 0;
      long at = first;
      byte[] buf = new byte[BUFFER];
      while (at < end && at < raw.length()) {
        last = at;
        beforeLast = total;
        for (int r; (r = in.readBlock(buf)) > 0; ) {
          total += r;
        }
        at = in.blockStart();
      }
      if (at >= raw.length() && !endsWithEos(raw)) {
        throw new java.io.EOFException("bzip2 file cut short: no end-of-stream marker after the block at compressed offset "
            + last);
      }
      return new long[] {first, total, last, beforeLast, Math.min(at, raw.length())};
    }
  }

  /** Whether the file's last bytes are an end-of-stream magic, the combined CRC and 0-7 padding bits. */
  static boolean endsWithEos(RangeInput raw) throws IOException {
    int n = (int) Math.min(11, raw.length());
    if (n < 10) {
      return false;
    }
    byte[] tail = raw.openAt(raw.length() - n).readNBytes(n);
    BigInteger bits = new BigInteger(1, tail);
    for (int pad = 0; pad < 8 && pad + 80 <= 8 * n; pad++) {
      if ((bits.shiftRight(pad + 32).longValue() & ((1L << 48) - 1)) == EOS) {
        return true;
      }
    }
    return false;
  }

  /** The decompressed bytes from the block whose magic starts in compressed byte {@code at} on. */
  static InputStream decompressed(RangeInput raw, long at) throws IOException {
    return new Decoding(raw, at);
  }

  /**
   * Writes {@code data} as one bzip2 stream of blocks of {@code blockSize100k} x 100,000 bytes (1-9,
   * as {@code bzip2 -1} .. {@code -9}).
   */
  public static void write(byte[] data, int blockSize100k, OutputStream out) throws IOException {
    out.write('B');
    out.write('Z');
    CBZip2OutputStream bz = new CBZip2OutputStream(new java.io.FilterOutputStream(out) {
      @Override
      public void close() throws IOException {
        flush(); // the caller closes its stream
      }
    }, blockSize100k);
    bz.write(data);
    bz.close();
  }

  /**
   * Decompressed bytes from the first block whose magic starts at or after a compressed offset, block
   * after block (across stream boundaries); decoding failures name the block's compressed offset.
   */
  private static final class Decoding extends InputStream {
    private final long origin;
    private final CBZip2InputStream bz;
    private final byte[] one = new byte[1];
    private boolean ended;

    Decoding(RangeInput raw, long origin) throws IOException {
      this.origin = origin;
      CBZip2InputStream b;
      try {
        b = new CBZip2InputStream(raw.openAt(origin), READ_MODE.BYBLOCK);
      } catch (IOException | RuntimeException e) {
        throw failure("the first block at or after compressed offset " + origin, e);
      }
      bz = b;
    }

    /** Where the block being read starts (after {@link #readBlock} returned -1: where the next one does). */
    long blockStart() {
      return origin + bz.getProcessedByteCount();
    }

    /** Bytes of the current block, 0 or less at its end (the next block is then current). */
    int readBlock(byte[] b) throws IOException {
      if (ended) {
        return -1;
      }
      long at = blockStart();
      try {
        int r = bz.read(b, 0, b.length);
        ended = r == -1;
        return r;
      } catch (IOException | RuntimeException e) {
        throw failure("the block at compressed offset " + at + " or the next", e);
      }
    }

    private static IOException failure(String where, Exception e) {
      return new IOException("corrupt bzip2 data in " + where + ": " + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : " " + e.getMessage()), e);
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      while (!ended) {
        long at = blockStart();
        int r;
        try {
          r = bz.read(b, off, len);
        } catch (IOException | RuntimeException e) {
          throw failure("the block at compressed offset " + at + " or the next", e);
        }
        if (r > 0) {
          return r;
        }
        ended = r == -1; // -2: the end of a block, go on with the next
      }
      return -1;
    }

    @Override
    public int read() throws IOException {
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public long skip(long n) throws IOException {
      byte[] buf = new byte[(int) Math.min(BUFFER, Math.max(0, n))];
      long done = 0;
      for (int r; done < n && (r = read(buf, 0, (int) Math.min(buf.length, n - done))) > 0; ) {
        done += r;
      }
      return done;
    }

    @Override
    public void close() throws IOException {
      bz.close();
    }
  }
}
