package dev.sparseattn.trainer.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.ZstdInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.junit.jupiter.api.Test;
import org.tukaani.xz.XZInputStream;

class CompressorTest {

  private static byte[] text() {
    StringBuilder s = new StringBuilder();
    Random rnd = new Random(1);
    String[] words = {"and", "the", "LORD", "said", "unto", "Moses", "of", "in", "his", "land"};
    while (s.length() < 50_000) {
      s.append(words[rnd.nextInt(words.length)]).append(rnd.nextInt(12) == 0 ? ".\n" : " ");
    }
    return s.toString().getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void bitsPerByteIsEightTimesTheRealCompressedLengthOverTheRawLength() throws IOException {
    byte[] data = text();
    for (Compressor c : Compressor.values()) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      c.compress(data, out);
      byte[] compressed = out.toByteArray();
      // the output is a real file of that format: the standard decoders give the input back
      assertArrayEquals(data, decompress(c, compressed), c.label());
      double bits = c.bitsPerByte(data);
      assertEquals(8.0 * compressed.length / data.length, bits, 1e-15, c.label());
      // ten words chosen at random: log2(10) = 3.3 bits per word of ~4.7 bytes, 0.7 bits a byte at best
      assertTrue(bits > 0.7 && bits < 2.5, c.label() + ": " + bits);
    }
  }

  @Test
  void randomBytesDoNotCompress() {
    byte[] data = new byte[1 << 14];
    new Random(2).nextBytes(data);
    for (Compressor c : Compressor.values()) {
      double bits = c.bitsPerByte(data);
      assertTrue(bits >= 8.0 && bits < 8.3, c.label() + ": " + bits);
    }
  }

  private static byte[] decompress(Compressor c, byte[] compressed) throws IOException {
    InputStream raw = new ByteArrayInputStream(compressed);
    try (InputStream in = switch (c) {
      case GZIP -> new GZIPInputStream(raw);
      case BZIP2 -> new BZip2CompressorInputStream(raw);
      case XZ -> new XZInputStream(raw);
      case ZSTD -> new ZstdInputStream(raw);
    }) {
      return in.readAllBytes();
    }
  }
}
