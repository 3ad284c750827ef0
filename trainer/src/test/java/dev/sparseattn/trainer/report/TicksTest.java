package dev.sparseattn.trainer.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Round tick steps (1, 2, 5 x 10^k), ticks inside the range at multiples of the step, labels without noise digits. */
class TicksTest {

  @Test
  void stepsAreOneTwoOrFiveTimesAPowerOfTen() {
    assertEquals(10.0, Ticks.step(51, 6), 1e-12);           // the Seattle fan chart's range: 11.19, 21.39 before
    assertEquals(0.5, Ticks.step(2.4, 6), 1e-12);
    assertEquals(1.0, Ticks.step(8.0, 8), 1e-12);           // exactly 8 intervals of 1
    assertEquals(2.0, Ticks.step(8.1, 8), 1e-12);           // a little more needs the next round step
    assertEquals(0.02, Ticks.step(0.1, 6), 1e-12);
    assertEquals(1000.0, Ticks.step(5000, 8), 1e-9);
  }

  @Test
  void ticksAreTheStepsMultiplesInsideTheRange() {
    List<Double> t = Ticks.between(-9.206, 41.78, 6);
    assertEquals(List.of(0.0, 10.0, 20.0, 30.0, 40.0), t);
    for (double v : Ticks.between(309.7, 417.3, 6)) {
      assertTrue(v >= 309.7 && v <= 417.3, "" + v);
      assertEquals(0, Math.abs(v / 20 - Math.rint(v / 20)), 1e-9);
    }
    assertEquals(List.of(0.0, 0.5, 1.0, 1.5, 2.0), Ticks.between(0, 2, 6));   // both ends kept when they are ticks
  }

  @Test
  void labelsHaveTheDecimalsTheStepNeeds() {
    assertEquals("20", Ticks.label(20.000000000000004, 10));
    assertEquals("0.5", Ticks.label(0.5, 0.5));
    assertEquals("0.06", Ticks.label(0.06000000000000001, 0.02));
    assertEquals("0", Ticks.label(-0.0, 1));
    assertEquals("-5", Ticks.label(-5, 5));
  }
}
