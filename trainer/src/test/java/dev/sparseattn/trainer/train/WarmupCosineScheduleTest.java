package dev.sparseattn.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class WarmupCosineScheduleTest {
  @Test
  void warmsUpLinearlyThenDecaysToTheFloor() {
    WarmupCosineSchedule s = new WarmupCosineSchedule(1.0, 10, 110, 0.1);
    assertEquals(0.1, s.valueAt(0, 0), 1e-12);
    assertEquals(1.0, s.valueAt(9, 0), 1e-12);
    assertEquals(1.0, s.valueAt(10, 0), 1e-12);
    assertEquals(0.55, s.valueAt(60, 0), 1e-12);   // half way: (1 + 0.1) / 2
    assertEquals(0.1, s.valueAt(110, 0), 1e-12);
    assertEquals(0.1, s.valueAt(500, 0), 1e-12);
  }
}
