package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.manifest.Split;
import java.util.Arrays;

/**
 * The token stream of one chunk and its cut into sequences (see {@link Packer}). Sequence {@code i}
 * covers stream positions {@code [i*L, i*L + L]}; it "owns" positions {@code [i*L + 1, i*L + L]}
 * (sequence 0 also owns position 0), and a document belongs to the split of the sequence owning its EOS.
 */
public final class PackedChunk {
  private final ChunkId id;
  private final int[] stream;
  private final int[] eosPositions;
  private final long contentBytes;
  private final long droppedBases;
  private final int seqLen;
  private final int padId;
  private final Split[] splits;
  private final Tally tally;

  PackedChunk(ChunkId id, int[] stream, int[] eosPositions, long contentBytes, long droppedBases, int seqLen,
      int padId, SplitHash hash, Tally tally) {
    this.id = id;
    this.stream = stream;
    this.eosPositions = eosPositions;
    this.contentBytes = contentBytes;
    this.droppedBases = droppedBases;
    this.seqLen = seqLen;
    this.padId = padId;
    this.tally = tally;
    int n = stream.length == 0 ? 0 : stream.length == 1 ? 1 : (stream.length - 2) / seqLen + 1;
    this.splits = new Split[n];
    Arrays.setAll(splits, i -> hash.split(id.file(), id.chunk(), i));
  }

  public ChunkId id() {
    return id;
  }

  /** Number of sequences. */
  public int sequences() {
    return splits.length;
  }

  /** The split of sequence {@code i}. */
  public Split split(int i) {
    return splits[i];
  }

  /** Non-PAD ids of sequence {@code i}. */
  public int nTokens(int i) {
    return Math.min(seqLen + 1, stream.length - i * seqLen);
  }

  /** Sequence {@code i}: a fresh array of {@code seqLen + 1} ids, PAD after {@link #nTokens(int)}. */
  public int[] sequence(int i) {
    int start = i * seqLen;
    int n = nTokens(i);
    int[] seq = Arrays.copyOfRange(stream, start, start + seqLen + 1); // zero-filled past the stream's end
    Arrays.fill(seq, n, seqLen + 1, padId);
    return seq;
  }

  /** The set of ids in the stream, as bits ({@code id / 64}, bit {@code id % 64}). */
  private long[] usedIds() {
    int max = 0;
    for (int id : stream) {
      max = Math.max(max, id);
    }
    long[] bits = new long[max / 64 + 1];
    for (int id : stream) {
      bits[id >>> 6] |= 1L << (id & 63);
    }
    return bits;
  }

  /** The sequence owning stream position {@code p}. */
  int owner(int p) {
    return p == 0 ? 0 : (p - 1) / seqLen;
  }

  /** Counts of this chunk for the driver. */
  public ChunkSummary summary() {
    long[] sequencesPerSplit = new long[2];
    for (Split s : splits) {
      sequencesPerSplit[s.ordinal()]++;
    }
    long[] recordsPerSplit = new long[2];
    for (int p : eosPositions) {
      recordsPerSplit[splits[owner(p)].ordinal()]++;
    }
    return new ChunkSummary(id, eosPositions.length, contentBytes, stream.length, sequencesPerSplit, recordsPerSplit,
        tally, usedIds(), droppedBases);
  }
}
