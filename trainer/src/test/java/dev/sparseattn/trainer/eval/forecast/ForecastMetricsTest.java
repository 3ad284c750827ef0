package dev.sparseattn.trainer.eval.forecast;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.trainer.eval.forecast.ForecastComparison.SeriesCase;
import dev.sparseattn.trainer.eval.forecast.ForecastComparison.VariableScores;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ForecastMetricsTest {
  private static final double[] D = QuantileForecast.DECILES;

  @Test
  void normalQuantilesMatchKnownValues() {
    assertEquals(1.2815515655446004, QuantileForecast.normalQuantile(0.9), 1e-14);
    assertEquals(-1.2815515655446004, QuantileForecast.normalQuantile(0.1), 1e-14);
    assertEquals(1.959963984540054, QuantileForecast.normalQuantile(0.975), 1e-14);
    assertEquals(0, QuantileForecast.normalQuantile(0.5), 1e-15);
    assertEquals(-4.264890793922825, QuantileForecast.normalQuantile(1e-5), 1e-12);
    assertEquals(0.15729920705028513, QuantileForecast.erfc(1), 1e-15);
  }

  @Test
  void onALinearTrendSeasonalNaiveHasMaseOneAndSeasonalTrendIsExact() {
    int m = 4;
    double c = 3; // y_t - y_{t-m} = c everywhere
    double[] context = new double[20];
    double[] actual = new double[8];
    for (int t = 0; t < 28; t++) {
      double y = 5 + t * c / m + (t % m == 0 ? 2 : 0); // trend plus a seasonal bump
      if (t < 20) {
        context[t] = y;
      } else {
        actual[t - 20] = y;
      }
    }
    QuantileForecast naive = NaiveForecasters.seasonalNaive(context, m, 8, D);
    // h <= m reaches back one season (error c), m < h <= 2m two seasons (error 2c)
    assertEquals(1.0, ForecastMetrics.mase(context, m, java.util.Arrays.copyOf(actual, m),
        new QuantileForecast(java.util.Arrays.copyOf(naive.point(), m), new double[0], new double[0][])), 1e-12);
    assertEquals(1.5 * c, ForecastMetrics.mae(actual, naive), 1e-12);
    QuantileForecast trend = NaiveForecasters.seasonalTrend(context, m, 8, D);
    assertEquals(0, ForecastMetrics.mae(actual, trend), 1e-9);
  }

  @Test
  void seasonalNaiveScoresAboutOneOnNoisySeasonalSeries() {
    Random rnd = new Random(7);
    int m = 12;
    double sum = 0;
    int series = 400;
    for (int s = 0; s < series; s++) {
      double[] y = new double[120 + m];
      for (int t = 0; t < y.length; t++) {
        y[t] = 10 * Math.sin(2 * Math.PI * t / m) + rnd.nextGaussian();
      }
      double[] context = java.util.Arrays.copyOf(y, 120);
      double[] actual = java.util.Arrays.copyOfRange(y, 120, 120 + m);
      sum += ForecastMetrics.mase(context, m, actual, NaiveForecasters.seasonalNaive(context, m, m, D));
    }
    assertEquals(1.0, sum / series, 0.05);
  }

  @Test
  void persistenceOfAConstantSeriesIsPerfectWithCollapsedQuantiles() {
    double[] context = {4, 4, Double.NaN, 4, 4};
    QuantileForecast f = NaiveForecasters.persistence(context, 3, D);
    assertArrayEquals(new double[] {4, 4, 4}, f.point());
    assertArrayEquals(new double[] {4, 4, 4}, f.quantiles()[0]);
    assertEquals(0, ForecastMetrics.mae(new double[] {4, 4, 4}, f));
    assertEquals(0, ForecastMetrics.wql(new double[] {4, 4, 4}, f));
  }

  @Test
  void weightedQuantileLossByHand() {
    double[] levels = {0.1, 0.9};
    // step 0: y = 10, quantiles 8 and 11; step 1: y = -2, quantiles 0 and 1
    QuantileForecast f = new QuantileForecast(new double[] {9, 0.5}, levels, new double[][] {{8, 0}, {11, 1}});
    double loss = 0.1 * 2 + (0.9 - 1) * (10 - 11) + (0.1 - 1) * (-2 - 0) + (0.9 - 1) * (-2 - 1);
    double expected = 2 * loss / 2 / (10 + 2);
    assertEquals(expected, ForecastMetrics.wql(new double[] {10, -2}, f), 1e-15);
    // quantiles all at the point forecast: WQL is sum |error| / sum |y| (the levels average 0.5)
    double[] point = {3, 5, 7};
    double[][] same = new double[D.length][];
    java.util.Arrays.fill(same, point);
    double[] y = {4, 5, 5};
    assertEquals((1 + 0 + 2) / 14.0, ForecastMetrics.wql(y, new QuantileForecast(point, D, same)), 1e-15);
  }

  @Test
  void missingValuesAreSkippedOrBridgedBySeasons() {
    int m = 3;
    double[] context = {1, 2, 3, 4, Double.NaN, 6};
    QuantileForecast f = NaiveForecasters.seasonalNaive(context, m, 3, D);
    // step 2 would copy the missing 5th value: it reaches a season further back, to 2 (two seasons: wider)
    assertArrayEquals(new double[] {4, 2, 6}, f.point());
    assertTrue(f.quantiles()[8][1] - f.point()[1] > f.quantiles()[8][0] - f.point()[0]);
    assertEquals(0.5, ForecastMetrics.mae(new double[] {5, Double.NaN, 6}, f), 1e-15);
    QuantileForecast none = NaiveForecasters.persistence(new double[] {Double.NaN, Double.NaN}, 2, D);
    assertTrue(Double.isNaN(none.point()[0]) && Double.isNaN(ForecastMetrics.mae(new double[] {1, 2}, none)));
    assertTrue(Double.isNaN(NaiveForecasters.seasonalScale(new double[] {1, 2, Double.NaN}, 2)));
  }

  @Test
  void comparisonIsRelativeToSeasonalNaiveWithGeometricMeans() {
    Random rnd = new Random(9);
    int m = 4;
    List<SeriesCase> cases = new ArrayList<>();
    for (String variable : List.of("temp_max", "precipitation")) {
      for (int s = 0; s < 5; s++) {
        double[] y = new double[40 + 6];
        for (int t = 0; t < y.length; t++) {
          y[t] = 20 + 5 * Math.cos(2 * Math.PI * t / m) + rnd.nextGaussian() + (variable.equals("temp_max") ? 0.3 * t : 0);
        }
        cases.add(new SeriesCase(variable, java.util.Arrays.copyOf(y, 40), m, java.util.Arrays.copyOfRange(y, 40, 46)));
      }
    }
    Map<String, List<QuantileForecast>> methods = ForecastComparison.baselines(cases, D);
    // a method whose errors are exactly twice seasonal naive's on every step
    List<QuantileForecast> doubled = new ArrayList<>();
    for (int i = 0; i < cases.size(); i++) {
      double[] p = methods.get(ForecastComparison.SEASONAL_NAIVE).get(i).point().clone();
      for (int h = 0; h < p.length; h++) {
        p[h] = 2 * p[h] - cases.get(i).actual()[h];
      }
      doubled.add(QuantileForecast.gaussian(p, new double[p.length], D));
    }
    methods.put("doubled", doubled);
    Map<String, Map<String, VariableScores>> scores = ForecastComparison.score(cases, methods);
    for (String variable : List.of("temp_max", "precipitation")) {
      VariableScores naive = scores.get(ForecastComparison.SEASONAL_NAIVE).get(variable);
      assertEquals(1.0, naive.relativeMase(), 1e-12);
      assertEquals(1.0, naive.relativeWql(), 1e-12);
      assertEquals(5, naive.series());
      VariableScores twice = scores.get("doubled").get(variable);
      assertEquals(2.0, twice.relativeMase(), 1e-12);
      for (int h = 0; h < 6; h++) {
        assertEquals(2 * naive.mae()[h], twice.mae()[h], 1e-9);
        assertEquals(2 * naive.mase()[h], twice.mase()[h], 1e-9);
      }
    }
    // with a trend, the trend-corrected seasonal naive beats plain seasonal naive
    assertTrue(scores.get("seasonal naive + trend").get("temp_max").relativeMase() < 1);
    assertEquals(Math.sqrt(2 * 8), ForecastMetrics.relativeGeometricMean(new double[] {2, 8, 5}, new double[] {1, 1, 0}), 1e-12);
  }
}
