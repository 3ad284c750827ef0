package dev.sparseattn.trainer.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TokenSamplerTest {
  private static final double[] LOGP = {Math.log(0.5), Math.log(0.3), Math.log(0.2)};

  @Test
  void greedyPicksTheMostLikelyUnlessBanned() {
    TokenSampler greedy = new TokenSampler(0, 0, 1);
    assertEquals(0, greedy.next(LOGP));
    assertEquals(1, greedy.next(LOGP, 0));
  }

  @Test
  void topOneIsGreedy() {
    TokenSampler s = new TokenSampler(1.0, 1, 1);
    for (int i = 0; i < 50; i++) {
      assertEquals(0, s.next(LOGP));
    }
  }

  @Test
  void samplingFollowsTheDistribution() {
    TokenSampler s = new TokenSampler(1.0, 0, 42);
    int[] counts = new int[3];
    for (int i = 0; i < 20_000; i++) {
      counts[s.next(LOGP)]++;
    }
    assertEquals(0.5, counts[0] / 20_000.0, 0.02);
    assertEquals(0.3, counts[1] / 20_000.0, 0.02);
    assertEquals(0.2, counts[2] / 20_000.0, 0.02);
  }

  @Test
  void topTwoNeverPicksTheThird() {
    TokenSampler s = new TokenSampler(1.0, 2, 3);
    for (int i = 0; i < 2_000; i++) {
      assertNotEquals(2, s.next(LOGP));
    }
  }

  @Test
  void nucleusKeepsTheSmallestSetReachingP() {
    TokenSampler s = new TokenSampler(1.0, 0, 0.7, 5);    // 0.5 + 0.3 >= 0.7: tokens 0 and 1
    int[] counts = new int[3];
    for (int i = 0; i < 20_000; i++) {
      counts[s.next(LOGP)]++;
    }
    assertEquals(0, counts[2]);
    assertEquals(0.5 / 0.8, counts[0] / 20_000.0, 0.02);
    assertEquals(0.3 / 0.8, counts[1] / 20_000.0, 0.02);
  }

  @Test
  void sameSeedSameChoices() {
    TokenSampler a = new TokenSampler(0.9, 2, 0.95, 77);
    TokenSampler b = new TokenSampler(0.9, 2, 0.95, 77);
    for (int i = 0; i < 200; i++) {
      assertEquals(a.next(LOGP), b.next(LOGP));
    }
  }

  @Test
  void lastDistributionIsWhatTheDrawSampledFrom() {
    double[] into = new double[3];
    TokenSampler s = new TokenSampler(1.0, 0, 0.7, 5);
    assertThrows(IllegalStateException.class, () -> s.addLastDistribution(into, 1));
    s.next(LOGP);
    s.addLastDistribution(into, 2);                      // the nucleus {0, 1}, renormalised, times 2
    assertArrayEquals(new double[] {2 * 0.5 / 0.8, 2 * 0.3 / 0.8, 0}, into, 1e-15);
    TokenSampler t = new TokenSampler(0.5, 0, 6);        // temperature 0.5: p^2, renormalised; token 0 banned
    t.next(LOGP, 0);
    double[] two = new double[2];                        // only the ids below its length
    t.addLastDistribution(two, 1);
    assertArrayEquals(new double[] {0, 0.09 / (0.09 + 0.04)}, two, 1e-15);
    TokenSampler greedy = new TokenSampler(0, 0, 7);
    greedy.next(LOGP, 0);
    double[] point = new double[3];
    greedy.addLastDistribution(point, 0.25);
    assertArrayEquals(new double[] {0, 0.25, 0}, point, 0);
  }
}
