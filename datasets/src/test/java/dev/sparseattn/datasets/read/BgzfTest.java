package dev.sparseattn.datasets.read;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
 * BGZF read in byte ranges: block starts found from any offset, decompressed offsets counted from the
 * block trailers and chained, and the decompressed file read from any position equal to the bytes a
 * plain gzip reader gives; FASTQ and FASTA read in decompressed splits give the whole-file units;
 * corrupt and truncated files fail with a message naming the compressed offset.
 */
class BgzfTest {
  private static final byte[] TEXT = SplitReadTest.fastq(new Random(21), 600, true).getBytes(StandardCharsets.ISO_8859_1);

  @Test
  void anyGzipReaderReadsItWholeAndEveryPositionReadsTheSameBytes() throws IOException {
    byte[] bgzf = bgzf(TEXT, 1000);
    assertTrue(Bgzf.isBgzf(new ByteArrayInputStream(bgzf)));
    assertArrayEquals(TEXT, new GZIPInputStream(new ByteArrayInputStream(bgzf)).readAllBytes());
    for (long splitSize : new long[] {1, 97, 1000, 4096, bgzf.length - 1, bgzf.length + 5}) {
      BlockIndex index = index(bgzf, splitSize);
      assertEquals(TEXT.length, index.length(), "split size " + splitSize);
      RangeInput in = index.input(SplitReadTest.range(bgzf));
      for (int p = 0; p <= TEXT.length; p += 1 + p / 3) {
        byte[] got = in.openAt(p).readNBytes(300);
        assertArrayEquals(Arrays.copyOfRange(TEXT, p, Math.min(TEXT.length, p + 300)), got, "position " + p);
      }
    }
  }

  @Test
  void recordsReadInDecompressedSplitsAreTheWholeFileUnits() throws IOException {
    byte[] bgzf = bgzf(TEXT, 700);
    FastqReader fastq = new FastqReader(true, false, false);
    List<String> whole = describe(fastq.open(new ByteArrayInputStream(TEXT)), 0);
    for (long splitSize : new long[] {50, 333, 2000}) {
      BlockIndex index = index(bgzf, splitSize);
      RangeInput in = index.input(SplitReadTest.range(bgzf));
      List<String> split = new ArrayList<>();
      long base = 0;
      for (int k = 0; k < index.decompressed().length; k++) {
        long s = index.decompressed()[k];
        long e = k + 1 < index.decompressed().length ? index.decompressed()[k + 1] : index.length();
        if (s < e) {
          RecordFormat.Units u = fastq.openSplit(in, s, e);
          List<String> part = describe(u, base);
          base += part.size();
          split.addAll(part);
        }
      }
      assertEquals(whole, split, "split size " + splitSize);
    }
  }

  @Test
  void corruptOrTruncatedBlocksFailNamingTheirOffset() throws IOException {
    byte[] bgzf = bgzf(TEXT, 1000);
    byte[] corrupt = bgzf.clone();
    int block2 = (int) Bgzf.nextBlockStart(SplitReadTest.range(bgzf), 1);
    corrupt[block2 + 40] ^= 0x55;
    IOException e = assertThrows(IOException.class,
        () -> index(bgzf, bgzf.length + 1).input(SplitReadTest.range(corrupt)).openAt(0).readAllBytes());
    assertTrue(e.getMessage().contains("corrupt BGZF block at compressed offset " + block2), e.getMessage());
    byte[] cut = Arrays.copyOf(bgzf, bgzf.length - 100);
    IOException t = assertThrows(IOException.class, () -> index(cut, 500));
    assertTrue(t.getMessage().contains("cut short"), t.getMessage());
  }

  /** The index of {@code bgzf} cut in compressed ranges of {@code splitSize}, chained as the prepare job does. */
  static BlockIndex index(byte[] bgzf, long splitSize) throws IOException {
    RangeInput raw = SplitReadTest.range(bgzf);
    List<Long> starts = new ArrayList<>();
    for (long s = 0; s < bgzf.length; s += splitSize) {
      starts.add(Bgzf.nextBlockStart(raw, s));
    }
    List<long[]> blocks = new ArrayList<>();
    for (int k = 0; k < starts.size(); k++) {
      long end = k + 1 < starts.size() ? (k + 1) * splitSize : bgzf.length;
      blocks.add(Bgzf.blocks(raw, starts.get(k), end));
    }
    return BlockIndex.chain(BlockIndex.Codec.BGZF, blocks, bgzf.length);
  }

  static byte[] bgzf(byte[] data, int blockBytes) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Bgzf.write(data, blockBytes, out);
    return out.toByteArray();
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
