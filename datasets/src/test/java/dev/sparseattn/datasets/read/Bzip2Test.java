package dev.sparseattn.datasets.read;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.io.compress.BZip2Codec;
import org.junit.jupiter.api.Test;

/**
 * bzip2 read in compressed byte ranges: every range cut at any byte owns the blocks whose magic starts
 * in it, the ranges' blocks line up (a range's next block is the next range's first, also with range
 * edges exactly on a block's first byte and one byte after it), the decompressed offsets chained from
 * them read every position as Hadoop's whole-stream decoder does, across concatenated streams; FASTQ
 * read in decompressed splits gives the whole-file units; corrupt and truncated files fail clearly.
 */
class Bzip2Test {
  private static final byte[] TEXT = SplitReadTest.fastq(new Random(31), 9000, true).getBytes(StandardCharsets.ISO_8859_1);

  @Test
  void blocksFoundFromAnyByteLineUpAndChainIntoTheDecompressedFile() throws IOException {
    byte[] bz = bzip2(TEXT, 1);
    assertTrue(Bzip2.isBzip2(new ByteArrayInputStream(bz)));
    assertArrayEquals(TEXT, hadoopWhole(bz), "Hadoop's own decoder reads it whole");
    List<Long> starts = blockStarts(bz);
    assertTrue(starts.size() >= 4, "blocks: " + starts);
    assertEquals(4, starts.get(0), "the first block follows the BZh header");
    for (long splitSize : new long[] {997, 4096, 30000, bz.length - 1, bz.length + 5}) {
      assertReadsEveryPosition(bz, TEXT, index(bz, cuts(splitSize, bz.length)), "split size " + splitSize);
    }
    for (int k = 1; k < starts.size(); k++) {
      long b = starts.get(k);
      for (long edge : new long[] {b - 1, b, b + 1}) {
        long[] before = Bzip2.blocks(range(bz), 0, edge);
        long[] after = Bzip2.blocks(range(bz), edge, bz.length);
        assertEquals(before[4], after[0], "the range ending at " + edge + " and the next one meet");
        assertEquals(edge <= b ? starts.get(k - 1) : b, before[2], "last block of the range ending at " + edge);
        assertEquals(edge <= b ? b : k + 1 < starts.size() ? starts.get(k + 1) : bz.length, after[0],
            "first block of the range starting at " + edge);
        assertEquals(TEXT.length, before[1] + after[1]);
      }
      assertReadsEveryPosition(bz, TEXT, index(bz, List.of(0L, b, b + 1)), "edges on block " + k);
    }
  }

  @Test
  void concatenatedStreamsAreReadAcross() throws IOException {
    byte[] second = SplitReadTest.fastq(new Random(32), 3000, false).getBytes(StandardCharsets.ISO_8859_1);
    ByteArrayOutputStream both = new ByteArrayOutputStream();
    both.write(bzip2(TEXT, 1));
    both.write(bzip2(second, 1));
    byte[] bz = both.toByteArray();
    byte[] text = Arrays.copyOf(TEXT, TEXT.length + second.length);
    System.arraycopy(second, 0, text, TEXT.length, second.length);
    assertArrayEquals(text, hadoopWhole(bz), "Hadoop's own decoder reads both streams");
    for (long splitSize : new long[] {5000, bz.length + 1}) {
      assertReadsEveryPosition(bz, text, index(bz, cuts(splitSize, bz.length)), "split size " + splitSize);
    }
  }

  @Test
  void recordsReadInDecompressedSplitsAreTheWholeFileUnits() throws IOException {
    byte[] bz = bzip2(TEXT, 1);
    FastqReader fastq = new FastqReader(true, false, false);
    List<String> whole = describe(fastq.open(new ByteArrayInputStream(TEXT)), 0);
    for (long splitSize : new long[] {3000, 50000}) {
      BlockIndex index = index(bz, cuts(splitSize, bz.length));
      RangeInput in = index.input(range(bz));
      List<String> split = new ArrayList<>();
      long base = 0;
      for (int k = 0; k < index.decompressed().length; k++) {
        long s = index.decompressed()[k];
        long e = k + 1 < index.decompressed().length ? index.decompressed()[k + 1] : index.length();
        if (s < e) {
          List<String> part = describe(fastq.openSplit(in, s, e), base);
          base += part.size();
          split.addAll(part);
        }
      }
      assertEquals(whole, split, "split size " + splitSize);
    }
  }

  @Test
  void corruptOrTruncatedFilesFailClearly() throws IOException {
    byte[] bz = bzip2(TEXT, 1);
    List<Long> starts = blockStarts(bz);
    byte[] corrupt = bz.clone();
    corrupt[(int) (starts.get(1) + 5000)] ^= 0x55;
    IOException e = assertThrows(IOException.class, () -> index(corrupt, cuts(4096, corrupt.length)));
    assertTrue(e.getMessage().contains("corrupt bzip2 data"), e.getMessage());
    for (int cut : new int[] {4, 10, 2000, bz.length - (int) (long) starts.get(2)}) {
      byte[] shorter = Arrays.copyOf(bz, bz.length - cut);
      IOException t = assertThrows(IOException.class, () -> index(shorter, cuts(4096, shorter.length)), "cut " + cut);
      assertTrue(t.getMessage().contains("cut short") || t.getMessage().contains("corrupt bzip2"), t.getMessage());
    }
  }

  private static void assertReadsEveryPosition(byte[] bz, byte[] text, BlockIndex index, String what) throws IOException {
    assertEquals(text.length, index.length(), what);
    RangeInput in = index.input(range(bz));
    for (int p = 0; p <= text.length; p += 1 + p / 2) {
      byte[] got = in.openAt(p).readNBytes(3000);
      assertArrayEquals(Arrays.copyOfRange(text, p, Math.min(text.length, p + 3000)), got, what + ", position " + p);
    }
    assertArrayEquals(text, in.openAt(0).readAllBytes(), what);
  }

  /** Range starts every {@code splitSize} bytes. */
  private static List<Long> cuts(long splitSize, long length) {
    List<Long> c = new ArrayList<>();
    for (long s = 0; s < length; s += splitSize) {
      c.add(s);
    }
    return c;
  }

  /** The index of {@code bz} cut in compressed ranges at {@code cuts}, chained as the prepare job does. */
  static BlockIndex index(byte[] bz, List<Long> cuts) throws IOException {
    List<long[]> blocks = new ArrayList<>();
    for (int k = 0; k < cuts.size(); k++) {
      blocks.add(Bzip2.blocks(range(bz), cuts.get(k), k + 1 < cuts.size() ? cuts.get(k + 1) : bz.length));
    }
    return BlockIndex.chain(BlockIndex.Codec.BZIP2, blocks, bz.length);
  }

  /** The compressed offset of every block (the byte holding its magic's first bit), each found by itself. */
  private static List<Long> blockStarts(byte[] bz) throws IOException {
    List<Long> starts = new ArrayList<>();
    for (long at = Bzip2.blocks(range(bz), 0, 1)[0]; at < bz.length; at = Bzip2.blocks(range(bz), at, at + 1)[4]) {
      starts.add(at);
    }
    return starts;
  }

  static byte[] bzip2(byte[] data, int blockSize100k) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Bzip2.write(data, blockSize100k, out);
    return out.toByteArray();
  }

  private static byte[] hadoopWhole(byte[] bz) throws IOException {
    BZip2Codec codec = new BZip2Codec();
    codec.setConf(new Configuration());
    java.io.InputStream in = codec.createInputStream(new ByteArrayInputStream(bz));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    for (int n; (n = in.read(buf, 0, buf.length)) >= 0; ) {
      out.write(buf, 0, n);
    }
    return out.toByteArray();
  }

  private static RangeInput range(byte[] bytes) {
    return SplitReadTest.range(bytes);
  }

  private static List<String> describe(RecordFormat.Units units, long base) {
    List<String> s = new ArrayList<>();
    while (units.hasNext()) {
      var d = units.next();
      s.add(d.offset() + " #" + (base + d.recordNo()) + " " + d.reason() + " " + d.meta() + " "
          + new String(d.bytes(), StandardCharsets.ISO_8859_1));
    }
    return s;
  }
}
