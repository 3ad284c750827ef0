package dev.sparseattn.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class UnigramBaselineTest {
  @Test
  void uniformOverFourSymbolsIsTwoBits() {
    // ids 0..3 equally likely, id 4 is padding and must be ignored
    UnigramBaseline b = UnigramBaseline.of(new long[] {10, 10, 10, 10, 999}, new long[] {1, 1, 1, 1, 50}, 4);
    assertEquals(2.0, b.entropyBits(), 1e-12);
    // add-one smoothing keeps it exactly uniform: 11/44 each
    assertEquals(2.0, b.crossEntropyBits(), 1e-12);
  }

  @Test
  void skewedDistribution() {
    UnigramBaseline b = UnigramBaseline.of(new long[] {3, 1, 0}, new long[] {0, 1, 0}, 2);
    double h = -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25)) / Math.log(2);
    assertEquals(h, b.entropyBits(), 1e-12);
    assertEquals(-Math.log(2.0 / 6.0) / Math.log(2), b.crossEntropyBits(), 1e-12);
  }
}
