package dev.sparseattn.pipeline.prepare;

import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionInputStream;
import org.apache.hadoop.io.compress.CompressionOutputStream;
import org.apache.hadoop.io.compress.Compressor;
import org.apache.hadoop.io.compress.Decompressor;

/**
 * Zstandard ({@code .zst}) as a Hadoop codec through zstd-jni, the library Spark itself ships (its
 * native code is inside the jar): Hadoop's own {@code ZStandardCodec} needs the native libhadoop,
 * which a Maven-built job does not have. {@link #register} puts it ahead of Hadoop's for the
 * {@code .zst} extension, so every reader that chooses a codec by extension (text lines, streamed
 * formats, whole files) decompresses zstd. A truncated or corrupt stream fails with an IOException
 * mid-read, which the readers turn into a {@code truncated} unit. Not splittable: one task per file.
 */
public final class ZstdCodec implements CompressionCodec {
  /** Hadoop's codec-list key. */
  static final String CODECS_KEY = "io.compression.codecs";

  /** Adds this codec to {@code conf}'s codec list (configured codecs win over built-in ones). */
  public static void register(Configuration conf) {
    String name = ZstdCodec.class.getName();
    String codecs = conf.get(CODECS_KEY, "");
    if (!codecs.contains(name)) {
      conf.set(CODECS_KEY, codecs.isBlank() ? name : codecs + "," + name);
    }
  }

  @Override
  public CompressionOutputStream createOutputStream(OutputStream out) throws IOException {
    ZstdOutputStream z = new ZstdOutputStream(out);
    return new CompressionOutputStream(z) {
      @Override
      public void write(int b) throws IOException {
        z.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        z.write(b, off, len);
      }

      @Override
      public void finish() throws IOException {
        z.flush();
      }

      @Override
      public void resetState() {
        // one frame per stream
      }
    };
  }

  @Override
  public CompressionOutputStream createOutputStream(OutputStream out, Compressor compressor) throws IOException {
    return createOutputStream(out);
  }

  @Override
  public Class<? extends Compressor> getCompressorType() {
    return null;
  }

  @Override
  public Compressor createCompressor() {
    return null;
  }

  @Override
  public CompressionInputStream createInputStream(InputStream in) throws IOException {
    ZstdInputStream z = new ZstdInputStream(in);
    return new CompressionInputStream(z) {
      @Override
      public int read() throws IOException {
        return z.read();
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return z.read(b, off, len);
      }

      @Override
      public void resetState() {
        // one stream per file
      }
    };
  }

  @Override
  public CompressionInputStream createInputStream(InputStream in, Decompressor decompressor) throws IOException {
    return createInputStream(in);
  }

  @Override
  public Class<? extends Decompressor> getDecompressorType() {
    return null;
  }

  @Override
  public Decompressor createDecompressor() {
    return null;
  }

  @Override
  public String getDefaultExtension() {
    return ".zst";
  }
}
