package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.read.DocLine;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.datasets.tokenize.NucleotideTokenizer;
import dev.sparseattn.datasets.tokenize.Tokenizer;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * Packs the documents of one chunk into training sequences. Each document is assigned to a split as a
 * whole ({@link SplitHash#split(int, DocLine)}: by its reader, or by a hash of its position); per
 * split, the documents in offset order, each encoded and followed by EOS, form one token stream of
 * T ids; it is cut into windows of {@code seqLen + 1} ids with stride {@code seqLen} (consecutive windows share one token, so every stream token but the
 * first is a target exactly once), and the last window is padded with PAD. A split's stream has
 * {@code n = max(1, ceil((T - 1) / seqLen))} sequences (none when empty) holding {@code T + n - 1}
 * non-PAD ids.
 */
public final class Packer implements Serializable {
  private static final long serialVersionUID = 1L;

  private final Tokenizer tokenizer;
  private final int seqLen;
  private final SplitHash splits;
  private final boolean joinChunk;

  public Packer(Tokenizer tokenizer, int seqLen, SplitHash splits) {
    this(tokenizer, seqLen, splits, false);
  }

  /**
   * {@code joinChunk}: the chunk's admitted units form one document, joined by newlines in file order,
   * at the first one's offset ({@code document = chunk}); quarantined units are left out as always.
   */
  public Packer(Tokenizer tokenizer, int seqLen, SplitHash splits, boolean joinChunk) {
    this.tokenizer = tokenizer;
    this.seqLen = seqLen;
    this.splits = splits;
    this.joinChunk = joinChunk;
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
    if (joinChunk && docs.size() > 1) {
      docs = List.of(joined(docs));
    }

    int splits = Split.values().length;
    List<List<int[]>> encoded = new ArrayList<>();
    long[] total = new long[splits];
    for (int i = 0; i < splits; i++) {
      encoded.add(new ArrayList<>());
    }
    long contentBytes = 0;
    long dropped = 0;
    for (DocLine d : docs) {
      if (tokenizer instanceof NucleotideTokenizer n) {
        dropped += n.droppedBases(d.bytes(), 0, d.bytes().length);
      }
      int[] ids = tokenizer.encodeUtf8(d.bytes());
      int split = this.splits.split(id.file(), d).ordinal();
      encoded.get(split).add(ids);
      total[split] += ids.length + 1L;
      contentBytes += d.bytes().length;
    }
    int[][] streams = new int[splits][];
    int[] documentsPerSplit = new int[splits];
    for (int s = 0; s < splits; s++) {
      if (total[s] > Integer.MAX_VALUE - 16) {
        throw new IllegalStateException("chunk " + id + " has " + total[s] + " tokens; lower prepare.chunk-bytes");
      }
      int[] stream = new int[(int) total[s]];
      int pos = 0;
      for (int[] ids : encoded.get(s)) {
        System.arraycopy(ids, 0, stream, pos, ids.length);
        pos += ids.length;
        stream[pos++] = tokenizer.eosId();
      }
      streams[s] = stream;
      documentsPerSplit[s] = encoded.get(s).size();
    }
    return new PackedChunk(id, streams, documentsPerSplit, contentBytes, dropped, seqLen, tokenizer.padId(), tally);
  }

  /** Units in file order as one document: their bytes joined by newlines, at the first one's offset. */
  private static DocLine joined(List<DocLine> units) {
    int length = units.size() - 1;
    int records = 0;
    for (DocLine d : units) {
      length += d.bytes().length;
      records += d.records();
    }
    byte[] bytes = new byte[length];
    int pos = 0;
    for (int i = 0; i < units.size(); i++) {
      if (i > 0) {
        bytes[pos++] = '\n';
      }
      byte[] line = units.get(i).bytes();
      System.arraycopy(line, 0, bytes, pos, line.length);
      pos += line.length;
    }
    DocLine first = units.get(0);
    return DocLine.document(first.offset(), first.recordNo(), bytes, records, null);
  }
}
