package dev.sparseattn.pipeline.prepare;

import java.io.Serializable;

/**
 * A packing chunk: the documents of input file {@code file} that start in byte range
 * {@code [chunk * chunkBytes, (chunk + 1) * chunkBytes)} of its decompressed content. Ordered by
 * (file, chunk), the global order of sequences. A plain class, not a record, so that any Spark
 * serializer (Java or Kryo) handles it.
 */
public final class ChunkId implements Serializable, Comparable<ChunkId> {
  private static final long serialVersionUID = 1L;

  private final int file;
  private final long chunk;

  public ChunkId(int file, long chunk) {
    this.file = file;
    this.chunk = chunk;
  }

  /** Index of the input file in reading order. */
  public int file() {
    return file;
  }

  /** Index of the chunk within its file. */
  public long chunk() {
    return chunk;
  }

  @Override
  public int compareTo(ChunkId o) {
    int c = Integer.compare(file, o.file);
    return c != 0 ? c : Long.compare(chunk, o.chunk);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ChunkId c && c.file == file && c.chunk == chunk;
  }

  @Override
  public int hashCode() {
    return 31 * file + Long.hashCode(chunk);
  }

  @Override
  public String toString() {
    return file + ":" + chunk;
  }
}
