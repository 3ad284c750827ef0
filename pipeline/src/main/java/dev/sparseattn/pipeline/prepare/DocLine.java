package dev.sparseattn.pipeline.prepare;

import java.io.Serializable;

/** One document: its byte offset in the decompressed input file and its raw (UTF-8) bytes. */
public final class DocLine implements Serializable {
  private static final long serialVersionUID = 1L;

  private final long offset;
  private final byte[] bytes;

  public DocLine(long offset, byte[] bytes) {
    this.offset = offset;
    this.bytes = bytes;
  }

  public long offset() {
    return offset;
  }

  public byte[] bytes() {
    return bytes;
  }
}
