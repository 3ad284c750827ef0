package dev.sparseattn.trainer.serve;

/**
 * What the server's decode thread needs from an incremental decoder: a fixed number of slots, each holding one
 * sequence. Only the decode thread calls it (implementations need not be thread-safe). The shape is that of the
 * decoding engine ({@code generate.DecodeEngine}).
 */
public interface DecodeBackend extends AutoCloseable {

  /** Size of the vocabulary: the length of {@link #logProbs}. */
  int vocabSize();

  /** Slots not holding a sequence. */
  int freeSlots();

  /**
   * Takes a free slot and fills it with {@code prompt} (prefill).
   *
   * @return the slot id
   * @throws IllegalArgumentException for an empty or too long prompt or ids outside the vocabulary
   * @throws IllegalStateException when no slot is free
   */
  int open(int[] prompt);

  /** Log-probabilities of the token after the slot's sequence, {@code [vocab]}. */
  double[] logProbs(int slot);

  /** Appends {@code tokens[i]} to slot {@code slots[i]}, for every listed slot, in one batched step. */
  void step(int[] slots, int[] tokens);

  /** Tokens held by the slot. */
  int length(int slot);

  /** Frees the slot. */
  void release(int slot);

  /** Backend name for {@code /v1/model}. */
  String name();

  @Override
  void close();
}
