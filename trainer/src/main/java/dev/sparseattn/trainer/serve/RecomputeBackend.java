package dev.sparseattn.trainer.serve;

import dev.sparseattn.trainer.model.TransformerLM;
import java.util.Arrays;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * A {@link DecodeBackend} without caches: every slot's next-token distribution is a full forward pass over its
 * tokens ({@link TransformerLM#nextTokenLogProbs}, the last {@code seqLen} of them), computed once per step. Slow
 * (the whole window per token) but exact by construction: the reference the cached engine is checked against.
 */
public final class RecomputeBackend implements DecodeBackend {
  private final MultiLayerNetwork net;
  private final int vocab;
  private final int maxLength;
  private final int[][] tokens;          // [slot][capacity]
  private final int[] lengths;           // 0 = free
  private final double[][] next;         // cached log-probs of each slot, null until asked

  /**
   * @param maxSlots sequences held at once
   * @param maxLength longest sequence (prompt and generated tokens) a slot holds
   */
  public RecomputeBackend(MultiLayerNetwork net, int maxSlots, int maxLength) {
    if (maxSlots < 1 || maxLength < 1) {
      throw new IllegalArgumentException("maxSlots and maxLength must be >= 1, got " + maxSlots + ", " + maxLength);
    }
    this.net = net;
    this.vocab = TransformerLM.config(net).vocabSize();
    this.maxLength = maxLength;
    this.tokens = new int[maxSlots][];
    this.lengths = new int[maxSlots];
    this.next = new double[maxSlots][];
  }

  @Override
  public int vocabSize() {
    return vocab;
  }

  @Override
  public int freeSlots() {
    return (int) Arrays.stream(lengths).filter(l -> l == 0).count();
  }

  @Override
  public int open(int[] prompt) {
    if (prompt.length == 0 || prompt.length > maxLength) {
      throw new IllegalArgumentException("prompt must hold 1.." + maxLength + " tokens, got " + prompt.length);
    }
    for (int id : prompt) {
      if (id < 0 || id >= vocab) {
        throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + vocab + ")");
      }
    }
    for (int s = 0; s < lengths.length; s++) {
      if (lengths[s] == 0) {
        tokens[s] = Arrays.copyOf(prompt, maxLength);
        lengths[s] = prompt.length;
        next[s] = null;
        return s;
      }
    }
    throw new IllegalStateException("no free slot (" + lengths.length + " in use)");
  }

  @Override
  public double[] logProbs(int slot) {
    held(slot);
    if (next[slot] == null) {
      next[slot] = TransformerLM.nextTokenLogProbs(net, Arrays.copyOf(tokens[slot], lengths[slot]));
    }
    return next[slot].clone();
  }

  @Override
  public void step(int[] slots, int[] ids) {
    if (slots.length != ids.length) {
      throw new IllegalArgumentException(slots.length + " slots but " + ids.length + " tokens");
    }
    for (int i = 0; i < slots.length; i++) {
      held(slots[i]);
      if (ids[i] < 0 || ids[i] >= vocab) {
        throw new IllegalArgumentException("token id " + ids[i] + " is outside the vocabulary [0, " + vocab + ")");
      }
      if (lengths[slots[i]] == maxLength) {
        throw new IllegalStateException("slot " + slots[i] + " is full (" + maxLength + " tokens)");
      }
    }
    for (int i = 0; i < slots.length; i++) {
      tokens[slots[i]][lengths[slots[i]]++] = ids[i];
      next[slots[i]] = null;
    }
  }

  @Override
  public int length(int slot) {
    held(slot);
    return lengths[slot];
  }

  @Override
  public void release(int slot) {
    held(slot);
    lengths[slot] = 0;
    tokens[slot] = null;
    next[slot] = null;
  }

  @Override
  public String name() {
    return "recompute";
  }

  @Override
  public void close() {
    Arrays.fill(lengths, 0);
  }

  private void held(int slot) {
    if (slot < 0 || slot >= lengths.length || lengths[slot] == 0) {
      throw new IllegalArgumentException("slot " + slot + " holds no sequence");
    }
  }
}
