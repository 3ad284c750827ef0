package dev.sparseattn.trainer.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

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
}
