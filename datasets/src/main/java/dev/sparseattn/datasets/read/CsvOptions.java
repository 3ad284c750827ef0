package dev.sparseattn.datasets.read;

import dev.sparseattn.datasets.config.Section;
import java.io.Serializable;
import java.util.List;

/**
 * The {@code prepare.csv} section: how a CSV file becomes time series.
 *
 * <pre>
 * csv {
 *   time-column = "date"             # ISO date or date-time (T or space), required for format = csv
 *   series-column = ""               # optional id column: a new id starts a new series
 *   value-columns = []               # the numeric variables (required for format = csv)
 *   categorical-columns = []         # non-numeric columns
 *   categorical = drop               # drop | ids (a category becomes the variable value index-in-categories)
 *   categories = []                  # the known categories, for categorical = ids
 *   step = ""                        # expected time step (ISO-8601, e.g. P1D, P1M, PT1H): missing steps
 *                                    # become masked gaps; "" = no gap detection
 *   max-gap = 10000                  # a longer gap (in steps) starts a new segment instead
 *   window = 64                      # time steps per document [1, 65536]
 *   stride = 64                      # [1, window]
 *   layout = interleaved             # interleaved (all variables per step) | separate (a document each)
 *   bad-cell = quarantine            # a non-numeric value: quarantine the row | mask the cell
 * }
 * </pre>
 *
 * <p>{@code validationPeriod} and {@code testPeriod} come from {@code prepare.validation-period} and
 * {@code prepare.test-period}: the steps at the end of every series that form the validation split,
 * then the test split after it (time series are split by time, never by window).
 */
public record CsvOptions(String timeColumn, String seriesColumn, List<String> valueColumns,
    List<String> categoricalColumns, Categorical categorical, List<String> categories, String step, int maxGap,
    int window, int stride, Layout layout, BadCell badCell, int validationPeriod, int testPeriod)
    implements Serializable {

  /** What categorical columns become. */
  public enum Categorical { DROP, IDS }

  /** How several variables form documents. */
  public enum Layout { INTERLEAVED, SEPARATE }

  /** What a non-numeric value cell does. */
  public enum BadCell { QUARANTINE, MASK }

  public static CsvOptions parse(Section s) {
    String time = s.string("time-column", "");
    String series = s.string("series-column", "");
    List<String> values = s.strings("value-columns", List.of());
    List<String> categoricalColumns = s.strings("categorical-columns", List.of());
    Categorical categorical = s.choice("categorical", Categorical.class, Categorical.DROP);
    List<String> categories = s.strings("categories", List.of());
    s.check(categorical == Categorical.DROP || !categories.isEmpty() || categoricalColumns.isEmpty(), "categories",
        "must list the categories when categorical = ids");
    String step = s.string("step", "");
    try {
      TimeStep.parse(step);
    } catch (IllegalArgumentException e) {
      s.check(false, "step", "must be an ISO-8601 period or duration such as P1D, P1M or PT1H, got '" + step + "'");
    }
    int maxGap = s.integer("max-gap", 10_000, 1, 10_000_000);
    int window = s.integer("window", 64, 1, 65_536);
    int stride = s.integer("stride", window, 1, 65_536);
    s.check(stride <= window, "stride", "must not exceed csv.window (" + window + "), got " + stride);
    Layout layout = s.choice("layout", Layout.class, Layout.INTERLEAVED);
    BadCell badCell = s.choice("bad-cell", BadCell.class, BadCell.QUARANTINE);
    return new CsvOptions(time, series, values, categoricalColumns, categorical, categories, step, maxGap, window,
        stride, layout, badCell, 0, 0);
  }

  /**
   * These options with the last {@code test} steps of every series held out as the test split and the
   * {@code validation} steps before them as the validation split.
   */
  public CsvOptions withHeldOut(int validation, int test) {
    return new CsvOptions(timeColumn, seriesColumn, valueColumns, categoricalColumns, categorical, categories, step,
        maxGap, window, stride, layout, badCell, validation, test);
  }

  /** Variables per time step: the value columns plus, with {@code categorical = ids}, the categorical ones. */
  public int variables() {
    return valueColumns.size() + (categorical == Categorical.IDS ? categoricalColumns.size() : 0);
  }
}
