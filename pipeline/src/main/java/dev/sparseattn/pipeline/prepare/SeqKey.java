package dev.sparseattn.pipeline.prepare;

import java.io.Serializable;

/** The shuffle key of a sequence: its split ({@code Split.ordinal()}) and seq_id within the split. */
public final class SeqKey implements Serializable, Comparable<SeqKey> {
  private static final long serialVersionUID = 1L;

  private final int split;
  private final long seqId;

  public SeqKey(int split, long seqId) {
    this.split = split;
    this.seqId = seqId;
  }

  public int split() {
    return split;
  }

  public long seqId() {
    return seqId;
  }

  @Override
  public int compareTo(SeqKey o) {
    int c = Integer.compare(split, o.split);
    return c != 0 ? c : Long.compare(seqId, o.seqId);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SeqKey k && k.split == split && k.seqId == seqId;
  }

  @Override
  public int hashCode() {
    return 31 * split + Long.hashCode(seqId);
  }

  @Override
  public String toString() {
    return split + "/" + seqId;
  }
}
