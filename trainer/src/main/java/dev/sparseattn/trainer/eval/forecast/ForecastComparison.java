package dev.sparseattn.trainer.eval.forecast;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scores several forecasting methods on the same series, per variable and horizon step, in original
 * units, and aggregates them as Chronos does (Ansari et al. 2024, section 5.2): each series' MASE and
 * WQL relative to the seasonal naive method's, then the geometric mean across series.
 */
public final class ForecastComparison {
  private ForecastComparison() {}

  /** The name of the reference method in {@link #baselines} and {@link #score}. */
  public static final String SEASONAL_NAIVE = "seasonal naive";

  /**
   * One forecasting problem: a variable's context and the values that followed.
   *
   * @param variable the variable's name (cases are grouped by it)
   * @param context past values, NaN where missing
   * @param season the seasonal period m in steps (1 for none)
   * @param actual the next {@code H} values, NaN where missing
   */
  public record SeriesCase(String variable, double[] context, int season, double[] actual) {}

  /**
   * A method's scores on one variable.
   *
   * @param mae mean absolute error per horizon step over the series, {@code [H]}
   * @param mase mean over series of the step's absolute error over the series' MASE scale, {@code [H]}
   * @param wql pooled WQL per step (loss and |y| summed over series), {@code [H]}
   * @param relativeMase geometric mean over series of MASE relative to seasonal naive's
   * @param relativeWql geometric mean over series of WQL relative to seasonal naive's
   * @param series number of series
   */
  public record VariableScores(double[] mae, double[] mase, double[] wql, double relativeMase,
                               double relativeWql, int series) {}

  /** The three baselines' forecasts of every case: persistence, seasonal naive, seasonal naive + trend. */
  public static Map<String, List<QuantileForecast>> baselines(List<SeriesCase> cases, double[] levels) {
    Map<String, List<QuantileForecast>> m = new LinkedHashMap<>();
    m.put("persistence", new ArrayList<>());
    m.put(SEASONAL_NAIVE, new ArrayList<>());
    m.put("seasonal naive + trend", new ArrayList<>());
    for (SeriesCase c : cases) {
      int h = c.actual().length;
      m.get("persistence").add(NaiveForecasters.persistence(c.context(), h, levels));
      m.get(SEASONAL_NAIVE).add(NaiveForecasters.seasonalNaive(c.context(), c.season(), h, levels));
      m.get("seasonal naive + trend").add(NaiveForecasters.seasonalTrend(c.context(), c.season(), h, levels));
    }
    return m;
  }

  /**
   * Scores every method (forecasts aligned with {@code cases}; one of them must be
   * {@link #SEASONAL_NAIVE}): method, then variable, to scores.
   */
  public static Map<String, Map<String, VariableScores>> score(List<SeriesCase> cases,
                                                                Map<String, List<QuantileForecast>> forecasts) {
    List<QuantileForecast> reference = forecasts.get(SEASONAL_NAIVE);
    if (reference == null) {
      throw new IllegalArgumentException("the methods must include '" + SEASONAL_NAIVE + "', the reference");
    }
    Map<String, List<Integer>> byVariable = new LinkedHashMap<>();
    for (int i = 0; i < cases.size(); i++) {
      byVariable.computeIfAbsent(cases.get(i).variable(), v -> new ArrayList<>()).add(i);
    }
    Map<String, Map<String, VariableScores>> out = new LinkedHashMap<>();
    forecasts.forEach((method, list) -> {
      if (list.size() != cases.size()) {
        throw new IllegalArgumentException(method + ": " + list.size() + " forecasts for " + cases.size() + " cases");
      }
      Map<String, VariableScores> perVariable = new LinkedHashMap<>();
      byVariable.forEach((variable, idx) -> perVariable.put(variable, variable(cases, list, reference, idx)));
      out.put(method, perVariable);
    });
    return out;
  }

  private static VariableScores variable(List<SeriesCase> cases, List<QuantileForecast> f,
                                         List<QuantileForecast> reference, List<Integer> idx) {
    int horizon = cases.get(idx.get(0)).actual().length;
    double[] mae = new double[horizon];
    double[] mase = new double[horizon];
    double[] wql = new double[horizon];
    for (int h = 0; h < horizon; h++) {
      double absSum = 0;
      double scaledSum = 0;
      int n = 0;
      int scaled = 0;
      double loss = 0;
      double weight = 0;
      for (int i : idx) {
        SeriesCase c = cases.get(i);
        if (c.actual().length != horizon) {
          throw new IllegalArgumentException("variable " + c.variable() + " mixes horizons " + horizon
              + " and " + c.actual().length);
        }
        double e = Math.abs(c.actual()[h] - f.get(i).point()[h]);
        if (!Double.isNaN(e)) {
          absSum += e;
          n++;
          double scale = NaiveForecasters.seasonalScale(c.context(), c.season());
          if (scale > 0) {
            scaledSum += e / scale;
            scaled++;
          }
        }
        double[] sums = ForecastMetrics.wqlSums(c.actual(), f.get(i), h, h + 1);
        loss += sums[0];
        weight += sums[1];
      }
      mae[h] = n == 0 ? Double.NaN : absSum / n;
      mase[h] = scaled == 0 ? Double.NaN : scaledSum / scaled;
      wql[h] = weight > 0 ? loss / weight : Double.NaN;
    }
    double[] maseOf = new double[idx.size()];
    double[] maseRef = new double[idx.size()];
    double[] wqlOf = new double[idx.size()];
    double[] wqlRef = new double[idx.size()];
    for (int j = 0; j < idx.size(); j++) {
      SeriesCase c = cases.get(idx.get(j));
      maseOf[j] = ForecastMetrics.mase(c.context(), c.season(), c.actual(), f.get(idx.get(j)));
      maseRef[j] = ForecastMetrics.mase(c.context(), c.season(), c.actual(), reference.get(idx.get(j)));
      wqlOf[j] = ForecastMetrics.wql(c.actual(), f.get(idx.get(j)));
      wqlRef[j] = ForecastMetrics.wql(c.actual(), reference.get(idx.get(j)));
    }
    return new VariableScores(mae, mase, wql, ForecastMetrics.relativeGeometricMean(maseOf, maseRef),
        ForecastMetrics.relativeGeometricMean(wqlOf, wqlRef), idx.size());
  }
}
