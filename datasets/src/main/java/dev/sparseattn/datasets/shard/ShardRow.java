package dev.sparseattn.datasets.shard;

/**
 * One row of a shard: a training sequence. {@code tokens} has {@code seq_len + 1} ids of which the
 * first {@code nTokens} are real and the rest PAD (see {@link ShardSchema}). {@code segmentIds}, when
 * the shard has them (schema version 2), gives for each position the index within the row of the
 * document the token belongs to (a document's EOS belongs to it; PAD positions are -1): attention can
 * be kept within documents by letting position i see position k only when their segment ids are equal.
 * It is {@code null} for shards without the column. Being a record over arrays, {@code equals}
 * compares the arrays by identity; compare {@code tokens()} with {@link java.util.Arrays#equals(int[], int[])}.
 */
public record ShardRow(long seqId, int[] tokens, int nTokens, int[] segmentIds) {

  /** A row without segment ids. */
  public ShardRow(long seqId, int[] tokens, int nTokens) {
    this(seqId, tokens, nTokens, null);
  }

  /**
   * The segment ids of a row: 0 from the first token, +1 after each {@code eosId}, -1 on the
   * {@code length - nTokens} PAD positions at the end.
   */
  public static int[] segments(int[] tokens, int nTokens, int eosId) {
    int[] seg = new int[tokens.length];
    int s = 0;
    for (int j = 0; j < tokens.length; j++) {
      seg[j] = j < nTokens ? s : -1;
      if (tokens[j] == eosId) {
        s++;
      }
    }
    return seg;
  }
}
