package dev.sparseattn.datasets.read;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * BGZF, the block gzip of genomics (SAM/BAM specification, section 4.1 "The BGZF compression
 * format"): a series of gzip members of at most 64 KiB each, every one carrying in its header's extra
 * field a {@code BC} subfield with the member's total size minus one ({@code BSIZE}), and ending with
 * its CRC32 and uncompressed size ({@code ISIZE}). Any plain gzip reader reads a BGZF file whole; the
 * block sizes let a reader find block starts in the middle of a file ({@link #nextBlockStart}) and
 * count decompressed bytes without inflating ({@link #blocks}), so a file can be read in
 * byte ranges with exact decompressed offsets ({@link BlockIndex}).
 */
public final class Bgzf {
  /** The largest BGZF block, compressed or not. */
  static final int MAX_BLOCK = 1 << 16;
  private static final int MIN_HEADER = 18;

  private Bgzf() {}

  /** Whether {@code in} starts with a BGZF block header. */
  public static boolean isBgzf(InputStream in) throws IOException {
    byte[] b = in.readNBytes(4096);
    return blockSize(b, 0, b.length) > 0;
  }

  /**
   * The total size of the BGZF block whose header starts at {@code b[at]}, or -1 if there is no
   * (complete) BGZF header there; {@code length}: bytes valid in {@code b}.
   */
  static int blockSize(byte[] b, int at, int length) {
    if (length - at < MIN_HEADER || (b[at] & 0xff) != 31 || (b[at + 1] & 0xff) != 139 || b[at + 2] != 8
        || (b[at + 3] & 4) == 0) {
      return -1;
    }
    int xlen = u16(b, at + 10);
    if (length - at < 12 + xlen) {
      return -1;
    }
    for (int p = at + 12; p + 4 <= at + 12 + xlen; ) {
      int slen = u16(b, p + 2);
      if (b[p] == 'B' && b[p + 1] == 'C' && slen == 2 && p + 6 <= at + 12 + xlen) {
        int size = u16(b, p + 4) + 1;
        return size >= 12 + xlen + 8 ? size : -1;
      }
      p += 4 + slen;
    }
    return -1;
  }

  private static int u16(byte[] b, int at) {
    return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
  }

  private static int i32(byte[] b, int at) {
    return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 24;
  }

  /**
   * The offset of the first block that starts at or after {@code from} (the file's length if none): a
   * BGZF header whose block is followed by another BGZF header or by the end of the file (as
   * Hadoop-BAM's and htsjdk's BGZF split guessers check), so deflate data that happens to look like a
   * header is not taken for one.
   */
  public static long nextBlockStart(RangeInput raw, long from) throws IOException {
    if (from == 0) {
      return 0;
    }
    int want = (int) Math.min(raw.length() - from, 2L * MAX_BLOCK + MIN_HEADER + 1024);
    if (want <= 0) {
      return raw.length();
    }
    byte[] b = raw.openAt(from).readNBytes(want);
    for (int i = 0; i < b.length; i++) {
      int size = blockSize(b, i, b.length);
      if (size < 0) {
        continue;
      }
      long next = from + i + size;
      if (next >= raw.length()) {
        return from + i; // the last block, or one cut short (reading it fails clearly)
      }
      if (next < raw.length()) {
        byte[] h = i + size + 12 + 1024 <= b.length ? null : raw.openAt(next).readNBytes(12 + 1024);
        if (h == null ? blockSize(b, i + size, b.length) > 0 : blockSize(h, 0, h.length) > 0) {
          return from + i;
        }
      }
    }
    if (b.length < 2 * MAX_BLOCK) {
      return raw.length(); // read to the end: no block starts after from
    }
    throw new IOException("no BGZF block starts within " + b.length + " bytes of offset " + from + ": not BGZF, or corrupt");
  }

  /**
   * The blocks that start in {@code [first, end)}, {@code first} a block start, read from the blocks'
   * headers and trailers (nothing is inflated): {@code {first, decompressed bytes, start of the last
   * block (-1 if none), decompressed bytes before the last block, offset after the last block}}; a
   * block that is cut short or has no valid header fails.
   */
  public static long[] blocks(RangeInput raw, long first, long end) throws IOException {
    InputStream in = raw.openAt(first);
    byte[] b = new byte[MAX_BLOCK];
    long total = 0;
    long last = -1;
    long beforeLast = 0;
    long at = first;
    while (at < end) {
      Block blk = readBlock(in, b, at);
      if (blk == null) {
        break;
      }
      last = at;
      beforeLast = total;
      total += blk.isize;
      at += blk.size;
    }
    return new long[] {first, total, last, beforeLast, at};
  }

  private record Block(int size, int isize) {}

  /**
   * Reads the block starting at {@code at} into {@code b}: null at the end of the stream, and a clear
   * failure if what is there is not a block or is cut short.
   */
  private static Block readBlock(InputStream in, byte[] b, long at) throws IOException {
    int got = in.readNBytes(b, 0, 12);
    if (got == 0) {
      return null;
    }
    int xlen = got == 12 ? u16(b, 10) : 0;
    got += in.readNBytes(b, got, Math.max(0, Math.min(12 + xlen, b.length) - got));
    int size = blockSize(b, 0, got);
    if (size < 0) {
      throw got < MIN_HEADER ? new EOFException("BGZF block header cut short at compressed offset " + at)
          : new IOException("no BGZF block header at compressed offset " + at + ": corrupt");
    }
    int rest = in.readNBytes(b, got, size - got);
    if (rest < size - got) {
      throw new EOFException("BGZF block at compressed offset " + at + " cut short: " + (got + rest) + " of " + size + " bytes");
    }
    return new Block(size, i32(b, size - 4));
  }

  /**
   * Writes {@code data} as BGZF (blocks of at most {@code blockBytes} uncompressed bytes, then the
   * empty end-of-file block), as {@code bgzip} does.
   */
  public static void write(byte[] data, int blockBytes, java.io.OutputStream out) throws IOException {
    if (blockBytes < 1 || blockBytes > MAX_BLOCK - 1024) {
      throw new IllegalArgumentException("blockBytes must be in [1, " + (MAX_BLOCK - 1024) + "], got " + blockBytes);
    }
    java.util.zip.Deflater deflater = new java.util.zip.Deflater(java.util.zip.Deflater.DEFAULT_COMPRESSION, true);
    byte[] buf = new byte[MAX_BLOCK];
    for (int off = 0, n = -1; n != 0; off += n) {
      n = Math.min(blockBytes, data.length - off); // 0: the empty end-of-file block
      deflater.reset();
      deflater.setInput(data, off, n);
      deflater.finish();
      int c = 0;
      while (!deflater.finished()) {
        c += deflater.deflate(buf, MIN_HEADER + c, buf.length - MIN_HEADER - 8 - c);
      }
      CRC32 crc = new CRC32();
      crc.update(data, off, n);
      int size = MIN_HEADER + c + 8;
      byte[] h = {31, (byte) 139, 8, 4, 0, 0, 0, 0, 0, (byte) 255, 6, 0, 'B', 'C', 2, 0,
          (byte) (size - 1), (byte) ((size - 1) >> 8)};
      System.arraycopy(h, 0, buf, 0, MIN_HEADER);
      putInt(buf, MIN_HEADER + c, (int) crc.getValue());
      putInt(buf, MIN_HEADER + c + 4, n);
      out.write(buf, 0, size);
    }
    deflater.end();
  }

  private static void putInt(byte[] b, int at, int v) {
    b[at] = (byte) v;
    b[at + 1] = (byte) (v >> 8);
    b[at + 2] = (byte) (v >> 16);
    b[at + 3] = (byte) (v >> 24);
  }

  /** The decompressed bytes from the block starting at compressed offset {@code at} on ({@link BlockIndex#input}). */
  static InputStream decompressed(RangeInput raw, long at) throws IOException {
    return new Inflating(raw.openAt(at), at);
  }

  /** The decompressed bytes of consecutive blocks, from a block start; each block's CRC32 and size checked. */
  private static final class Inflating extends InputStream {
    private final InputStream in;
    private final byte[] block = new byte[MAX_BLOCK];
    private final byte[] out = new byte[MAX_BLOCK];
    private final Inflater inflater = new Inflater(true);
    private final CRC32 crc = new CRC32();
    private long at;
    private int pos;
    private int limit;
    private boolean ended;

    Inflating(InputStream in, long at) {
      this.in = in;
      this.at = at;
    }

    @Override
    public long skip(long n) throws IOException {
      if (n <= 0 || (pos == limit && !fill())) {
        return 0;
      }
      int k = (int) Math.min(n, limit - pos);
      pos += k;
      return k;
    }

    private boolean fill() throws IOException {
      while (pos == limit) {
        if (ended) {
          return false;
        }
        Block b = readBlock(in, block, at);
        if (b == null) {
          ended = true;
          inflater.end();
          return false;
        }
        int xlen = u16(block, 10);
        inflater.reset();
        inflater.setInput(block, 12 + xlen, b.size - 12 - xlen - 8);
        int n;
        try {
          n = b.isize == 0 ? 0 : inflater.inflate(out, 0, Math.min(out.length, b.isize));
        } catch (DataFormatException e) {
          throw new IOException("corrupt BGZF block at compressed offset " + at + ": " + e.getMessage(), e);
        }
        crc.reset();
        crc.update(out, 0, n);
        if (n != b.isize || (int) crc.getValue() != i32(block, b.size - 8)) {
          throw new IOException("corrupt BGZF block at compressed offset " + at + ": size or CRC32 does not match");
        }
        at += b.size;
        pos = 0;
        limit = n;
      }
      return true;
    }

    @Override
    public int read() throws IOException {
      return pos < limit || fill() ? out[pos++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      if (pos == limit && !fill()) {
        return -1;
      }
      int k = Math.min(len, limit - pos);
      System.arraycopy(out, pos, b, off, k);
      pos += k;
      return k;
    }
  }
}
