package dev.sparseattn.trainer.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MarkovModelTest {

  private static byte[] random(Random rnd, int n, int alphabet) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) rnd.nextInt(alphabet);
    }
    return b;
  }

  /** A skewed source with memory, so that contexts of every order are seen a varying number of times. */
  private static byte[] markovish(Random rnd, int n, int alphabet) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      int prev = i == 0 ? 0 : b[i - 1] & 0xff;
      b[i] = (byte) (rnd.nextDouble() < 0.6 ? (prev * 7 + 3) % alphabet : rnd.nextInt(1 + rnd.nextInt(alphabet)));
    }
    return b;
  }

  @Test
  void everyDistributionSumsToOneOverTheAlphabetSeenAndUnseenContexts() {
    Random rnd = new Random(11);
    for (int alphabet : new int[] {5, 31, 256}) {
      int maxOrder = Math.min(6, MarkovModel.maxOrderFor(alphabet));
      MarkovModel m = new MarkovModel(alphabet, maxOrder);
      // trained on part of the alphabet only, so some symbols and contexts are never seen
      byte[] data = markovish(rnd, 20_000, Math.max(2, alphabet / 2));
      for (int start = 0; start < data.length; start += 500) {
        m.train(data, start, Math.min(data.length, start + 500));
      }
      for (int trial = 0; trial < 40; trial++) {
        int[] history = new int[rnd.nextInt(maxOrder + 2)];
        boolean seen = trial % 2 == 0 && history.length > 0 && history.length < data.length;
        int at = rnd.nextInt(data.length - history.length);
        for (int i = 0; i < history.length; i++) {
          history[i] = seen ? data[at + i] & 0xff : rnd.nextInt(alphabet);
        }
        for (int order = 0; order <= maxOrder; order++) {
          double sum = 0;
          for (int w = 0; w < alphabet; w++) {
            double p = m.probability(history, w, order);
            assertTrue(p > 0 && p <= 1, "p = " + p);
            sum += p;
          }
          assertEquals(1.0, sum, 1e-12, "alphabet " + alphabet + ", order " + order);
        }
      }
    }
  }

  @Test
  void matchesAPlainRecursiveWittenBellReference() {
    Random rnd = new Random(5);
    int alphabet = 6;
    byte[] data = markovish(rnd, 3_000, alphabet);
    MarkovModel m = new MarkovModel(alphabet, 3);
    m.train(data, 0, data.length);
    // reference: counts in string-keyed maps, the formula applied recursively from order -1
    Map<String, Integer> pair = new HashMap<>();
    Map<String, Integer> total = new HashMap<>();
    Map<String, Set<Integer>> distinct = new HashMap<>();
    for (int j = 0; j < data.length; j++) {
      for (int o = 0; o <= Math.min(3, j); o++) {
        String h = context(data, j - o, j);
        pair.merge(h + "|" + data[j], 1, Integer::sum);
        total.merge(h, 1, Integer::sum);
        distinct.computeIfAbsent(h, k -> new HashSet<>()).add((int) data[j]);
      }
    }
    for (int trial = 0; trial < 200; trial++) {
      int[] history = new int[3];
      for (int i = 0; i < 3; i++) {
        history[i] = rnd.nextInt(alphabet);
      }
      int w = rnd.nextInt(alphabet);
      for (int order = 0; order <= 3; order++) {
        double p = 1.0 / alphabet;
        for (int o = 0; o <= order; o++) {
          StringBuilder h = new StringBuilder();
          for (int i = 3 - o; i < 3; i++) {
            h.append(history[i]).append(',');
          }
          Integer c = total.get(h.toString());
          if (c == null) {
            break;
          }
          int t = distinct.get(h.toString()).size();
          p = (pair.getOrDefault(h + "|" + w, 0) + t * p) / (c + t);
        }
        assertEquals(p, m.probability(history, w, order), 1e-15);
      }
    }
  }

  private static String context(byte[] data, int from, int to) {
    StringBuilder s = new StringBuilder();
    for (int i = from; i < to; i++) {
      s.append(data[i]).append(',');
    }
    return s.toString();
  }

  @Test
  void aPeriodicSequenceCostsNearlyNothingOnceTheOrderCoversThePeriod() {
    int period = 7;
    byte[] train = new byte[70_000];
    for (int i = 0; i < train.length; i++) {
      train[i] = (byte) ("sparse!".charAt(i % period)); // s twice: order 0 sees 6 symbols
    }
    byte[] held = java.util.Arrays.copyOfRange(train, 3, 3 + 7_000);
    MarkovModel m = new MarkovModel(256, 6);
    m.train(train, 0, train.length);
    // The row's first `period` symbols have short contexts; score the rest.
    double bits = m.sumBits(held, 0, period, held.length, period - 1) / (held.length - period);
    assertTrue(bits < 1e-3, "order " + (period - 1) + ": " + bits + " bits");
    double order0 = m.sumBits(held, 0, period, held.length, 0) / (held.length - period);
    double entropy = -(2.0 / 7) * Math.log(2.0 / 7) / Math.log(2) - 5 * (1.0 / 7) * Math.log(1.0 / 7) / Math.log(2);
    assertEquals(entropy, order0, 0.01);
  }

  @Test
  void iidUniformBytesCostAboutEightBits() {
    Random rnd = new Random(3);
    byte[] train = random(rnd, 1 << 20, 256);
    byte[] held = random(rnd, 1 << 16, 256);
    MarkovModel m = new MarkovModel(256, 2);
    m.train(train, 0, train.length);
    // Order 2 has 65,536 contexts seen ~16 times each with ~15 distinct followers: Witten-Bell then
    // gives about half of each context's mass to what it saw, and pays 8.82 bits (seed 3). Order 0 and
    // 1 have enough data per context to sit at 8.
    double[] expectedMax = {8.001, 8.06, 8.9};
    for (int order = 0; order <= 2; order++) {
      double bits = m.sumBits(held, 0, 0, held.length, order) / held.length;
      System.out.println("iid uniform bytes, order " + order + ": " + bits + " bits");
      assertTrue(bits >= 7.99 && bits < expectedMax[order], "order " + order + ": " + bits);
    }
  }

  @Test
  void contextsDoNotReachAcrossRows() {
    byte[] data = {0, 1, 2, 3};
    MarkovModel rows = new MarkovModel(4, 1);
    rows.train(data, 0, 2);
    rows.train(data, 2, 4);
    MarkovModel joined = new MarkovModel(4, 1);
    joined.train(data, 0, 4);
    // 1 -> 2 is a bigram of the joined stream only: in rows, context {1} was never followed by anything
    assertEquals(rows.probability(new int[] {1}, 2, 0), rows.probability(new int[] {1}, 2, 1), 1e-15);
    assertTrue(joined.probability(new int[] {1}, 2, 1) > rows.probability(new int[] {1}, 2, 1));
  }

  @Test
  void rejectsOrdersThatDoNotFitAndSymbolsOutsideTheAlphabet() {
    assertEquals(6, MarkovModel.maxOrderFor(256));
    assertEquals(13, MarkovModel.maxOrderFor(16));
    assertEquals(10, MarkovModel.maxOrderFor(31));
    assertThrows(IllegalArgumentException.class, () -> new MarkovModel(256, 7));
    MarkovModel m = new MarkovModel(4, 2);
    assertThrows(IllegalArgumentException.class, () -> m.train(new byte[] {0, 4}, 0, 2));
    assertThrows(IllegalArgumentException.class, () -> m.probability(new int[] {0}, 1, 3));
  }
}
