package dev.sparseattn.datasets.tokenize;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Real values as tokens, as in Chronos (Ansari et al. 2024, "Chronos: Learning the Language of Time
 * Series"): each document (a window of a series) is divided by the mean absolute value of its
 * context (per variable, over the observed values of all but the last {@code horizon} steps, at least
 * the first step; 1 when there are none or all are 0), so the scale never depends on the values to be
 * predicted (as in Chronos, whose scale is computed from the context alone), and each scaled value becomes the
 * nearest of {@code bins} uniformly spaced centres in {@code [low, high]} (values outside are clipped to
 * the end bins). A missing value becomes the MASK token: gaps stay gaps, nothing is interpolated.
 *
 * <p>Ids: {@code 0 .. bins-1} the bins, then MASK, PAD, EOS. Decoding needs the window's scales
 * ({@link #scales}): {@link #decodeValues} returns {@code centre * scale}, within
 * {@link #maxError(double)} of the original for values inside {@code [low*scale, high*scale]}.
 *
 * <p>Documents arrive as UTF-8 text: numbers separated by spaces or commas, {@code NaN} (or {@code NA},
 * or an empty field) for missing. With {@code variables = v > 1} the values are interleaved time step
 * by time step ({@code x1(t) x2(t) .. xv(t) x1(t+1) ..}) and each variable has its own scale.
 */
public final class TimeSeriesTokenizer implements Tokenizer {
  private static final long serialVersionUID = 1L;

  /** The name in manifests and configs. */
  public static final String NAME = "time-series";

  /**
   * Settings.
   *
   * @param bins number of value bins, 2 to 65,536 (Chronos uses 4,094)
   * @param low centre of the lowest bin, in units of the scale (Chronos: -15)
   * @param high centre of the highest bin (Chronos: 15)
   * @param variables values per time step in a document (interleaved layout), 1 for a single series
   * @param horizon the last steps of a window, the values to be predicted: they do not enter its scale
   *     (0: the whole window, as manifests written before this option)
   */
  public record Options(int bins, double low, double high, int variables, int horizon)
      implements java.io.Serializable {
    /** Options whose scale covers the whole window (horizon 0). */
    public Options(int bins, double low, double high, int variables) {
      this(bins, low, high, variables, 0);
    }

    public Options {
      if (horizon < 0) {
        throw new IllegalArgumentException("horizon must be at least 0, got " + horizon);
      }
      if (bins < 2 || bins > 65_536) {
        throw new IllegalArgumentException("bins must be in [2, 65536], got " + bins);
      }
      if (!(low < high)) {
        throw new IllegalArgumentException("low must be below high, got " + low + " and " + high);
      }
      if (variables < 1) {
        throw new IllegalArgumentException("variables must be at least 1, got " + variables);
      }
    }
  }

  private final Options options;
  private final double width;

  public TimeSeriesTokenizer(Options options) {
    this.options = options;
    this.width = (options.high() - options.low()) / (options.bins() - 1);
  }

  public Options options() {
    return options;
  }

  /** The token of a missing value. */
  public int maskId() {
    return options.bins();
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int vocabSize() {
    return options.bins() + 3;
  }

  @Override
  public int padId() {
    return options.bins() + 1;
  }

  @Override
  public int eosId() {
    return options.bins() + 2;
  }

  /** Half a bin: the largest decoding error, in units of the scale, inside {@code [low, high]}. */
  public double maxError(double scale) {
    return scale * width / 2;
  }

  /** Steps of a window of {@code steps} steps whose values make its scale: all but the horizon, at least 1. */
  public int contextSteps(int steps) {
    return Math.max(1, steps - options.horizon());
  }

  /**
   * Per variable, the mean absolute observed value of a window's context, its first
   * {@link #contextSteps} steps (1 when none is observed or all are 0). {@code values}: the window,
   * interleaved ({@code steps * variables}).
   */
  public double[] scales(double[] values) {
    int v = options.variables();
    double[] sum = new double[v];
    long[] n = new long[v];
    int context = Math.min(values.length, contextSteps(values.length / v) * v);
    for (int i = 0; i < context; i++) {
      if (!Double.isNaN(values[i])) {
        sum[i % v] += Math.abs(values[i]);
        n[i % v]++;
      }
    }
    double[] scales = new double[v];
    for (int j = 0; j < v; j++) {
      scales[j] = n[j] == 0 || sum[j] == 0 ? 1.0 : sum[j] / n[j];
    }
    return scales;
  }

  /** The tokens of a window of values (NaN for missing). */
  public int[] encode(double[] values) {
    double[] scales = scales(values);
    int[] ids = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      ids[i] = Double.isNaN(values[i]) ? maskId() : bin(values[i] / scales[i % options.variables()]);
    }
    return ids;
  }

  private int bin(double scaled) {
    long b = Math.round((scaled - options.low()) / width);
    return (int) Math.max(0, Math.min(options.bins() - 1, b));
  }

  /** The centre of value bin {@code bin}, in units of the scale (what {@link #decodeValues} multiplies). */
  public double centre(int bin) {
    if (bin < 0 || bin >= options.bins()) {
      throw new IllegalArgumentException("bin " + bin + " is not in [0, " + options.bins() + ")");
    }
    return options.low() + bin * width;
  }

  /** The values of tokens given the window's scales: bin centre times scale, NaN for MASK; PAD/EOS skipped. */
  public double[] decodeValues(int[] ids, double[] scales) {
    double[] out = new double[ids.length];
    int n = 0;
    for (int id : ids) {
      if (id == padId() || id == eosId()) {
        continue;
      }
      double scale = scales[n % scales.length];
      out[n++] = id >= 0 && id < options.bins() ? centre(id) * scale : Double.NaN;
    }
    return java.util.Arrays.copyOf(out, n);
  }

  @Override
  public String reject(byte[] utf8, int offset, int length) {
    try {
      parse(utf8, offset, length);
      return null;
    } catch (NumberFormatException e) {
      return "non-numeric: " + e.getMessage();
    }
  }

  @Override
  public int[] encodeUtf8(byte[] utf8, int offset, int length) {
    return encode(parse(utf8, offset, length));
  }

  /** The values of a document's text. */
  public static double[] parse(byte[] utf8, int offset, int length) {
    String text = new String(utf8, offset, length, StandardCharsets.UTF_8).trim();
    if (text.isEmpty()) {
      return new double[0];
    }
    String[] fields = text.split("[\\s,]+|,", -1);
    double[] values = new double[fields.length];
    for (int i = 0; i < fields.length; i++) {
      values[i] = parseValue(fields[i]);
    }
    return values;
  }

  /** One value: a decimal number, or NaN for an empty field, {@code NaN} or {@code NA}. */
  public static double parseValue(String field) {
    String f = field.trim();
    if (f.isEmpty() || f.equalsIgnoreCase("nan") || f.equalsIgnoreCase("na")) {
      return Double.NaN;
    }
    double v = Double.parseDouble(f);
    if (Double.isInfinite(v) || Double.isNaN(v)) {
      throw new NumberFormatException("not finite: " + f);
    }
    return v;
  }

  /**
   * The scaled values of {@code ids[from, to)} as text (bin centres in units of the scale, {@code NaN}
   * for MASK), space-separated; EOS as a newline, PAD skipped. Use {@link #decodeValues} with the
   * window's scales for the values themselves.
   */
  @Override
  public String decode(int[] ids, int from, int to) {
    StringBuilder s = new StringBuilder();
    for (int i = from; i < to; i++) {
      int id = ids[i];
      if (id == padId()) {
        continue;
      }
      if (id == eosId()) {
        s.append('\n');
        continue;
      }
      if (s.length() > 0 && s.charAt(s.length() - 1) != '\n') {
        s.append(' ');
      }
      s.append(id >= 0 && id < options.bins() ? String.format(Locale.ROOT, "%.4g", options.low() + id * width)
          : id == maskId() ? "NaN" : "?");
    }
    return s.toString();
  }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("name", NAME);
    d.put("vocab_size", vocabSize());
    d.put("pad_id", padId());
    d.put("eos_id", eosId());
    d.put("mask_id", maskId());
    d.put("bins", options.bins());
    d.put("low", options.low());
    d.put("high", options.high());
    d.put("variables", options.variables());
    d.put("horizon", options.horizon());
    d.put("scaling", "mean-abs of the context (all but the last horizon steps) per window and variable");
    return d;
  }

  static TimeSeriesTokenizer fromDescription(Map<String, ?> d) {
    return new TimeSeriesTokenizer(new Options(((Number) d.get("bins")).intValue(),
        ((Number) d.get("low")).doubleValue(), ((Number) d.get("high")).doubleValue(),
        ((Number) d.get("variables")).intValue(),
        d.get("horizon") instanceof Number h ? h.intValue() : 0));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TimeSeriesTokenizer t && t.options.equals(options);
  }

  @Override
  public int hashCode() {
    return options.hashCode();
  }

  @Override
  public String toString() {
    return "TimeSeriesTokenizer(" + options + ")";
  }
}
