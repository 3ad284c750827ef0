package dev.sparseattn.trainer.serve;

/** What the decode thread hands to the HTTP thread of a generation: a token, the end, or an error. */
sealed interface Event {
  /**
   * A generated token and the text it completes (empty while held back: an incomplete character or a possible
   * start of a stop string); {@code id < 0}: no token, only the last held-back text.
   */
  record Token(int id, String text) implements Event {}

  /**
   * The end of a generation.
   *
   * @param finishReason {@code length}, {@code eos}, {@code stop}, {@code context} (the slot is full) or
   *                     {@code timeout}
   * @param text the whole generated text (cut before a stop string)
   * @param ids the generated token ids
   * @param promptTokens tokens of the prompt
   */
  record Done(String finishReason, String text, int[] ids, int promptTokens) implements Event {}

  /** The request failed. */
  record Failed(HttpError error) implements Event {}
}
