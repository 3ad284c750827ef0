package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.tokenize.NucleotideTokenizer;
import dev.sparseattn.datasets.tokenize.Tokenizer;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * Packs the documents of one chunk into training sequences: documents in offset order, each encoded
 * and followed by EOS, form one token stream of T ids; it is cut into windows of {@code seqLen + 1}
 * ids with stride {@code seqLen} (consecutive windows share one token, so every stream token but the
 * first is a target exactly once), and the last window is padded with PAD. A chunk has
 * {@code n = max(1, ceil((T - 1) / seqLen))} sequences holding {@code T + n - 1} non-PAD ids.
 */
public final class Packer implements Serializable {
  private static final long serialVersionUID = 1L;

  private final Tokenizer tokenizer;
  private final int seqLen;
  private final SplitHash splits;

  public Packer(Tokenizer tokenizer, int seqLen, SplitHash splits) {
    this.tokenizer = tokenizer;
    this.seqLen = seqLen;
    this.splits = splits;
  }

  /**
   * Packs a chunk's documents (in any order; they are sorted by file order here). Quarantined units
   * are left out of the stream and only counted; a chunk of quarantined units alone has no sequences.
   */
  public PackedChunk pack(ChunkId id, Iterable<DocLine> documents) {
    List<DocLine> all = new ArrayList<>();
    documents.forEach(all::add);
    all.sort(DocLine.ORDER);
    Tally tally = new Tally();
    List<DocLine> docs = new ArrayList<>(all.size());
    for (DocLine d : all) {
      tally.add(d);
      if (!d.bad()) {
        docs.add(d);
      }
    }

    List<int[]> encoded = new ArrayList<>(docs.size());
    long total = 0;
    long contentBytes = 0;
    long dropped = 0;
    for (DocLine d : docs) {
      if (tokenizer instanceof NucleotideTokenizer n) {
        dropped += n.droppedBases(d.bytes(), 0, d.bytes().length);
      }
      int[] ids = tokenizer.encodeUtf8(d.bytes());
      encoded.add(ids);
      total += ids.length + 1L;
      contentBytes += d.bytes().length;
    }
    if (total > Integer.MAX_VALUE - 16) {
      throw new IllegalStateException("chunk " + id + " has " + total + " tokens; lower prepare.chunk-bytes");
    }
    int[] stream = new int[(int) total];
    int[] eosPositions = new int[docs.size()];
    int pos = 0;
    for (int d = 0; d < encoded.size(); d++) {
      int[] ids = encoded.get(d);
      System.arraycopy(ids, 0, stream, pos, ids.length);
      pos += ids.length;
      stream[pos] = tokenizer.eosId();
      eosPositions[d] = pos++;
    }
    return new PackedChunk(id, stream, eosPositions, contentBytes, dropped, seqLen, tokenizer.padId(), splits,
        tally);
  }
}
