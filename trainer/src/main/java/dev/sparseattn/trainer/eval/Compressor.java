package dev.sparseattn.trainer.eval;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import com.github.luben.zstd.ZstdOutputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipParameters;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

/**
 * The general-purpose compressors a language model is compared with, at their strongest usual
 * settings: gzip -9 (DEFLATE), bzip2 -9 (900 kB blocks, Burrows-Wheeler) through commons-compress, and
 * xz -6 (LZMA2 with an 8 MiB dictionary, shrunk to the input's size as the xz tool does; as strong as
 * -9 on inputs below 8 MiB) through XZ for Java, and zstd -19 (Zstandard's strongest level without {@code --ultra},
 * with the frame checksum the zstd tool writes by default) through zstd-jni, the codec Spark ships.
 * Container headers and checksums are counted: the figure is what the file on disk would cost.
 */
public enum Compressor {
  GZIP("gzip -9"),
  BZIP2("bzip2 -9"),
  XZ("xz -6"),
  ZSTD("zstd -19");

  private final String label;

  Compressor(String label) {
    this.label = label;
  }

  /** The name in reports, e.g. {@code gzip -9}. */
  public String label() {
    return label;
  }

  /** Compresses {@code data} into {@code out}. */
  public void compress(byte[] data, OutputStream out) throws IOException {
    try (OutputStream c = open(out, data.length)) {
      c.write(data);
    }
  }

  /** The compressed size of {@code data} in bytes, without keeping the output. */
  public long compressedLength(byte[] data) {
    CountingSink sink = new CountingSink();
    try {
      compress(data, sink);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return sink.count;
  }

  /** {@code 8 * compressed length / data length}: bits per input byte (per unit, for one-byte units). */
  public double bitsPerByte(byte[] data) {
    if (data.length == 0) {
      throw new IllegalArgumentException("nothing to compress");
    }
    return 8.0 * compressedLength(data) / data.length;
  }

  private OutputStream open(OutputStream out, int length) throws IOException {
    return switch (this) {
      case GZIP -> {
        GzipParameters p = new GzipParameters();
        p.setCompressionLevel(9);
        yield new GzipCompressorOutputStream(out, p);
      }
      case BZIP2 -> new BZip2CompressorOutputStream(out, 9);
      case XZ -> {
        // As the xz tool does for inputs of known size: a dictionary larger than the input changes
        // nothing in the output but costs memory and time (the -6 match finder is ~94 MB).
        LZMA2Options o = new LZMA2Options(6);
        o.setDictSize(Math.max(LZMA2Options.DICT_SIZE_MIN, Math.min(o.getDictSize(), length)));
        yield new XZOutputStream(out, o);
      }
      case ZSTD -> {
        ZstdOutputStream z = new ZstdOutputStream(out);
        z.setLevel(19);
        z.setChecksum(true);
        yield z;
      }
    };
  }

  private static final class CountingSink extends OutputStream {
    long count;

    @Override
    public void write(int b) {
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      count += len;
    }
  }
}
