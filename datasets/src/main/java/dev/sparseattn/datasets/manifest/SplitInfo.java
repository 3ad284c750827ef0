package dev.sparseattn.datasets.manifest;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Counts and files of one split.
 *
 * @param records documents whose end (their EOS) falls in this split's sequences; summed over the
 *     splits this is the number of documents read
 * @param sequences rows in the split's shards (seq_ids are {@code 0 .. sequences-1})
 * @param tokens non-PAD ids in those rows (the sum of {@code n_tokens}; the one token shared by two
 *     consecutive sequences counts twice)
 * @param shards the split's shard files in seq_id order
 * @param tokenHistogram {@code vocab_size} counts of the non-PAD ids in the rows (sums to {@code tokens});
 *     the trainer derives the unigram entropy baseline from it
 */
public record SplitInfo(
    @JsonProperty("records") long records,
    @JsonProperty("sequences") long sequences,
    @JsonProperty("tokens") long tokens,
    @JsonProperty("shards") List<ShardInfo> shards,
    @JsonProperty("token_histogram") long[] tokenHistogram) {

  public SplitInfo {
    shards = shards == null ? null : List.copyOf(shards);
  }

  /** Total bytes of the split's shard files. */
  public long bytes() {
    return shards.stream().mapToLong(ShardInfo::bytes).sum();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SplitInfo s && s.records == records && s.sequences == sequences
        && s.tokens == tokens && Objects.equals(s.shards, shards)
        && Arrays.equals(s.tokenHistogram, tokenHistogram);
  }

  @Override
  public int hashCode() {
    return Objects.hash(records, sequences, tokens, shards, Arrays.hashCode(tokenHistogram));
  }

  @Override
  public String toString() {
    return "SplitInfo[records=" + records + ", sequences=" + sequences + ", tokens=" + tokens
        + ", shards=" + shards + ", tokenHistogram=" + Arrays.toString(tokenHistogram) + "]";
  }
}
