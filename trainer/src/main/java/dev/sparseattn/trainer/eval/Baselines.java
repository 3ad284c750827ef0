package dev.sparseattn.trainer.eval;

import dev.sparseattn.trainer.train.UnigramBaseline;
import java.util.ArrayList;
import java.util.List;

/**
 * The baselines of a held-out split in bits per native unit, all trained on the training split only
 * and scored on exactly the target units the model is scored on: the unigram distribution (add-one
 * smoothed, {@link UnigramBaseline}), {@link MarkovModel}s of the given orders, and the
 * {@link Compressor}s on the held-out targets' bytes (compressed bits over raw units).
 */
public final class Baselines {
  private Baselines() {}

  /** All baselines, in the order unigram, Markov by order, gzip, bzip2, xz, zstd. */
  public static List<Score> compute(UnitCorpus train, UnitCorpus heldOut, Alphabet alphabet, List<Integer> orders) {
    long units = heldOut.targetUnits();
    if (units == 0) {
      throw new IllegalArgumentException("the held-out split has no target units");
    }
    byte[] trainCodes = alphabet.codes(train.units());
    byte[] heldCodes = alphabet.codes(heldOut.units());
    List<Score> scores = new ArrayList<>();
    scores.add(new Score("unigram (add-one)", "unigram", -1, unigram(trainCodes, heldOut, heldCodes, alphabet.size())));
    if (!orders.isEmpty()) {
      MarkovModel model = new MarkovModel(alphabet.size(), orders.stream().max(Integer::compare).orElseThrow());
      for (int i = 0; i < train.rows(); i++) {
        model.train(trainCodes, train.rowStart()[i], train.rowStart()[i + 1]);
      }
      for (int order : orders) {
        double bits = 0;
        for (int i = 0; i < heldOut.rows(); i++) {
          bits += model.sumBits(heldCodes, heldOut.rowStart()[i], heldOut.targetStart()[i], heldOut.rowStart()[i + 1], order);
        }
        scores.add(new Score("order-" + order + " Markov (Witten-Bell)", "markov", order, bits / units));
      }
    }
    byte[] targets = heldOut.targets();
    for (Compressor c : Compressor.values()) {
      scores.add(new Score(c.label(), "compressor", -1, c.bitsPerByte(targets)));
    }
    return scores;
  }

  /** Cross-entropy of the held-out targets under the training units' add-one smoothed frequencies. */
  static double unigram(byte[] trainCodes, UnitCorpus heldOut, byte[] heldCodes, int alphabetSize) {
    long[] train = new long[alphabetSize];
    for (byte c : trainCodes) {
      train[c & 0xff]++;
    }
    long[] held = new long[alphabetSize];
    for (int i = 0; i < heldOut.rows(); i++) {
      for (int j = heldOut.targetStart()[i]; j < heldOut.rowStart()[i + 1]; j++) {
        held[heldCodes[j] & 0xff]++;
      }
    }
    return UnigramBaseline.of(train, held, -1).crossEntropyBits();
  }
}
