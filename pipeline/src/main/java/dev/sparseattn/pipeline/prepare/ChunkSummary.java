package dev.sparseattn.pipeline.prepare;

import java.io.Serializable;

/**
 * What the driver needs to know about one packed chunk to number its sequences: documents, bytes,
 * stream tokens, per split (indexed by {@code Split.ordinal()}) sequences and records, and the
 * accounting of its input records.
 */
public final class ChunkSummary implements Serializable {
  private static final long serialVersionUID = 1L;

  private final ChunkId id;
  private final long documents;
  private final long contentBytes;
  private final long streamTokens;
  private final long[] sequences;
  private final long[] records;
  private final Tally tally;
  private final long[] usedIds;
  private final long droppedBases;

  public ChunkSummary(ChunkId id, long documents, long contentBytes, long streamTokens, long[] sequences,
      long[] records, Tally tally, long[] usedIds, long droppedBases) {
    this.id = id;
    this.documents = documents;
    this.contentBytes = contentBytes;
    this.streamTokens = streamTokens;
    this.sequences = sequences.clone();
    this.records = records.clone();
    this.tally = tally;
    this.usedIds = usedIds;
    this.droppedBases = droppedBases;
  }

  /** Ambiguous bases the nucleotide tokenizer dropped with {@code ambiguous = split}. */
  public long droppedBases() {
    return droppedBases;
  }

  /** The ids the chunk's stream uses, as a bit set ({@code id / 64}, bit {@code id % 64}); empty once sent. */
  public long[] usedIds() {
    return usedIds;
  }

  /** This summary without its bit set of ids (aggregated on the executors instead: {@link UsedIds}). */
  ChunkSummary withoutUsedIds() {
    return new ChunkSummary(id, documents, contentBytes, streamTokens, sequences, records, tally, new long[0], droppedBases);
  }

  /** Input records of the chunk: emitted and quarantined. */
  public Tally tally() {
    return tally;
  }

  public ChunkId id() {
    return id;
  }

  public long documents() {
    return documents;
  }

  public long contentBytes() {
    return contentBytes;
  }

  /** Document tokens plus one EOS per document. */
  public long streamTokens() {
    return streamTokens;
  }

  /** Sequences of a split ({@code Split.ordinal()}). */
  public long sequences(int split) {
    return sequences[split];
  }

  /** Total sequences of the chunk. */
  public long sequences() {
    return java.util.Arrays.stream(sequences).sum();
  }

  /** Packed streams: the splits with sequences (each stream's last sequence shares no token onward). */
  public int streams() {
    int n = 0;
    for (long s : sequences) {
      n += s > 0 ? 1 : 0;
    }
    return n;
  }

  /** Documents of the split. */
  public long records(int split) {
    return records[split];
  }
}
