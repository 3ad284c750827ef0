package dev.sparseattn.datasets.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.testdata.RealData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

class TimeSeriesTokenizerTest {
  private final TimeSeriesTokenizer chronos = new TimeSeriesTokenizer(new TimeSeriesTokenizer.Options(4094, -15, 15, 1));

  @Test
  void meanScalingUniformBinsAndMask() {
    assertEquals(4097, chronos.vocabSize());
    assertEquals(4094, chronos.maskId());
    assertEquals(4095, chronos.padId());
    assertEquals(4096, chronos.eosId());
    double[] x = {1, 2, 3, Double.NaN};
    assertArrayEquals(new double[] {2}, chronos.scales(x));
    // scaled 0.5, 1, 1.5; bin = round((v + 15) / (30 / 4093))
    assertArrayEquals(new int[] {2115, 2183, 2251, 4094}, chronos.encode(x));
    assertArrayEquals(chronos.encode(x), chronos.encode("1 2, 3 NaN"));
    double[] back = chronos.decodeValues(chronos.encode(x), chronos.scales(x));
    for (int i = 0; i < 3; i++) {
      assertTrue(Math.abs(back[i] - x[i]) <= chronos.maxError(2), i + ": " + back[i]);
    }
    assertTrue(Double.isNaN(back[3]), "mask decodes as missing");
    assertEquals(2 * 15.0 / 4093, chronos.maxError(2), 1e-12);
  }

  /**
   * Chronos scales by the context alone: with a horizon of 3 steps, changing the last 3 values (the
   * ones to predict) changes neither the scale nor any token of the context; two variables interleaved.
   */
  @Test
  void theScaleComesFromTheContextOnly() {
    TimeSeriesTokenizer t = new TimeSeriesTokenizer(new TimeSeriesTokenizer.Options(4094, -15, 15, 2, 3));
    double[] window = {1, 10, 2, 20, 3, 30, 4, 40, 5, 50, 6, 60, 7, 70}; // 7 steps x 2 variables
    assertEquals(4, t.contextSteps(7));
    assertArrayEquals(new double[] {2.5, 25}, t.scales(window), "mean |x| of the first 4 steps per variable");
    double[] otherFuture = window.clone();
    for (int i = 8; i < 14; i++) {
      otherFuture[i] = 1000 * (i - 3); // a wild future
    }
    assertArrayEquals(t.scales(window), t.scales(otherFuture));
    assertArrayEquals(java.util.Arrays.copyOf(t.encode(window), 8), java.util.Arrays.copyOf(t.encode(otherFuture), 8),
        "the context's tokens do not depend on the future");
    assertEquals(1, t.contextSteps(2), "a window shorter than the horizon keeps its first step as context");
    assertEquals(3, ((Number) t.describe().get("horizon")).intValue());
    assertEquals(t, Tokenizers.fromDescription(t.describe()), "the horizon round-trips through the manifest");
  }

  @Test
  void clipsOutsideTheRangeAndHandlesAllMissingOrZero() {
    TimeSeriesTokenizer small = new TimeSeriesTokenizer(new TimeSeriesTokenizer.Options(11, -1, 1, 1));
    // scale = mean |x| = 1: 0 -> centre 0 (bin 5), 4 -> above 1, clipped to the top bin 10.
    assertArrayEquals(new int[] {5, 5, 5, 10}, small.encode(new double[] {0, 0, 0, 4}));
    assertArrayEquals(new double[] {1}, small.scales(new double[] {Double.NaN, Double.NaN}));
    assertArrayEquals(new int[] {11, 11}, small.encode(new double[] {Double.NaN, Double.NaN}), "all missing: MASK");
    assertArrayEquals(new int[] {5, 5}, small.encode(new double[] {0, 0}), "all zero: scale 1");
  }

  @Test
  void interleavedVariablesHaveTheirOwnScales() {
    TimeSeriesTokenizer two = new TimeSeriesTokenizer(new TimeSeriesTokenizer.Options(4094, -15, 15, 2));
    double[] x = {1, 100, 3, 300};
    assertArrayEquals(new double[] {2, 200}, two.scales(x));
    int[] ids = two.encode(x);
    assertEquals(ids[0], ids[1], "1/2 and 100/200 are the same scaled value");
    assertEquals(ids[2], ids[3]);
    assertArrayEquals(new double[] {Double.NaN, Double.NaN}, new TimeSeriesTokenizer(
        new TimeSeriesTokenizer.Options(4094, -15, 15, 2)).decodeValues(new int[] {4094, 4094}, new double[] {1, 1}));
  }

  @Test
  void rejectsNonNumericTextAndDescribesItself() {
    byte[] bad = "1.5 abc".getBytes(StandardCharsets.UTF_8);
    assertEquals("non-numeric: For input string: \"abc\"", chronos.reject(bad, 0, bad.length));
    byte[] ok = "1.5 NaN  NA 2".getBytes(StandardCharsets.UTF_8);
    assertNull(chronos.reject(ok, 0, ok.length));
    assertEquals(chronos, Tokenizers.fromDescription(chronos.describe()));
    assertEquals("0.7366 NaN\n", chronos.decode(new int[] {2147, 4094, 4096, 4095}));
  }

  /** Mauna Loa CO2 (real, monthly; the 1958-1967 fixture): windows of 24 months decode within half a bin. */
  @Test
  void co2WindowsDecodeWithBoundedError() throws IOException {
    assertCo2WindowsDecode(RealData.CO2.fixture(), 113);
  }

  /** The same over the whole 1958-2020 series. */
  @Test
  @Tag("shared-data")
  void wholeCo2SeriesDecodesWithBoundedError() throws IOException {
    assertCo2WindowsDecode(RealData.CO2.shared(), 741);
  }

  private void assertCo2WindowsDecode(Path csv, int months) throws IOException {
    List<String> lines = Files.readAllLines(csv);
    double[] co2 = lines.subList(1, lines.size()).stream().mapToDouble(l -> Double.parseDouble(l.split(",")[1])).toArray();
    assertEquals(months, co2.length);
    double worst = 0;
    for (int start = 0; start + 24 <= co2.length; start += 24) {
      double[] w = java.util.Arrays.copyOfRange(co2, start, start + 24);
      double[] scales = chronos.scales(w);
      double[] back = chronos.decodeValues(chronos.encode(w), scales);
      for (int i = 0; i < w.length; i++) {
        double err = Math.abs(back[i] - w[i]);
        assertTrue(err <= chronos.maxError(scales[0]) + 1e-9, "month " + (start + i) + ": error " + err);
        worst = Math.max(worst, err);
      }
    }
    // Bins are 30/4093 = 0.0073 scale units wide: at ~315-415 ppm the error reaches ~1.5 ppm.
    assertTrue(worst > 0.5 && worst <= chronos.maxError(415), "worst error " + worst + " ppm");
  }
}
