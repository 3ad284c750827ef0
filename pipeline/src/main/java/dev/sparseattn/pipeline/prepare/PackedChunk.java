package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.manifest.Split;
import java.util.Arrays;

/**
 * The token streams of one chunk, one per split, and their cut into sequences (see {@link Packer}).
 * Every document is in exactly one split's stream, so no row mixes splits and no document is cut
 * across splits. Within a split's stream, local sequence {@code j} covers positions
 * {@code [j*L, j*L + L]}; it "owns" positions {@code [j*L + 1, j*L + L]} (sequence 0 also owns
 * position 0). Sequences are numbered train first, then validation.
 */
public final class PackedChunk {
  private static final int SPLITS = Split.values().length;

  private final ChunkId id;
  private final int[][] streams;
  private final int[] eosCounts;
  private final long contentBytes;
  private final long droppedBases;
  private final int seqLen;
  private final int padId;
  private final int[] first; // first global index of each split's sequences, plus the total at the end
  private final Tally tally;

  /** {@code streams[s]}: split {@code s}'s documents with their EOS; {@code eosCounts[s]}: its documents. */
  PackedChunk(ChunkId id, int[][] streams, int[] eosCounts, long contentBytes, long droppedBases, int seqLen,
      int padId, Tally tally) {
    this.id = id;
    this.streams = streams;
    this.eosCounts = eosCounts;
    this.contentBytes = contentBytes;
    this.droppedBases = droppedBases;
    this.seqLen = seqLen;
    this.padId = padId;
    this.tally = tally;
    this.first = new int[SPLITS + 1];
    for (int s = 0; s < SPLITS; s++) {
      first[s + 1] = first[s] + count(streams[s].length, seqLen);
    }
  }

  /** Sequences of a stream of {@code t} ids: {@code max(1, ceil((t - 1) / L))}, 0 for an empty stream. */
  static int count(int t, int seqLen) {
    return t == 0 ? 0 : t == 1 ? 1 : (t - 2) / seqLen + 1;
  }

  public ChunkId id() {
    return id;
  }

  /** Number of sequences, all splits. */
  public int sequences() {
    return first[SPLITS];
  }

  private int splitOf(int i) {
    int s = 0;
    while (i >= first[s + 1]) {
      s++;
    }
    return s;
  }

  /** The split of sequence {@code i}. */
  public Split split(int i) {
    return Split.values()[splitOf(i)];
  }

  /** Non-PAD ids of sequence {@code i}. */
  public int nTokens(int i) {
    int s = splitOf(i);
    return Math.min(seqLen + 1, streams[s].length - (i - first[s]) * seqLen);
  }

  /** Sequence {@code i}: a fresh array of {@code seqLen + 1} ids, PAD after {@link #nTokens(int)}. */
  public int[] sequence(int i) {
    int s = splitOf(i);
    int start = (i - first[s]) * seqLen;
    int n = nTokens(i);
    int[] seq = Arrays.copyOfRange(streams[s], start, start + seqLen + 1); // zero-filled past the stream's end
    Arrays.fill(seq, n, seqLen + 1, padId);
    return seq;
  }

  /** The set of ids in the streams, as bits ({@code id / 64}, bit {@code id % 64}). */
  private long[] usedIds() {
    int max = 0;
    for (int[] stream : streams) {
      for (int id : stream) {
        max = Math.max(max, id);
      }
    }
    long[] bits = new long[max / 64 + 1];
    for (int[] stream : streams) {
      for (int id : stream) {
        bits[id >>> 6] |= 1L << (id & 63);
      }
    }
    return bits;
  }

  /** Counts of this chunk for the driver. */
  public ChunkSummary summary() {
    long[] sequencesPerSplit = new long[SPLITS];
    long[] recordsPerSplit = new long[SPLITS];
    long streamTokens = 0;
    int documents = 0;
    for (int s = 0; s < SPLITS; s++) {
      sequencesPerSplit[s] = first[s + 1] - first[s];
      recordsPerSplit[s] = eosCounts[s];
      streamTokens += streams[s].length;
      documents += eosCounts[s];
    }
    return new ChunkSummary(id, documents, contentBytes, streamTokens, sequencesPerSplit, recordsPerSplit,
        tally, usedIds(), droppedBases);
  }
}
