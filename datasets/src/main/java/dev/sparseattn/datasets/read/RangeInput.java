package dev.sparseattn.datasets.read;

import java.io.IOException;
import java.io.InputStream;

/**
 * Random access to the bytes of one uncompressed input file, for reading a byte range of it
 * ({@link SplittableFormat}). Opening a stream may invalidate the stream opened before it; the
 * caller closes the file, not the streams.
 */
public interface RangeInput {
  /** The file's length in bytes. */
  long length();

  /** A stream of the file's bytes from {@code position} on. */
  InputStream openAt(long position) throws IOException;
}
