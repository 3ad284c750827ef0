package dev.sparseattn.datasets.read;

import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.datasets.tokenize.TimeSeriesTokenizer;
import dev.sparseattn.datasets.read.CsvOptions;
import dev.sparseattn.datasets.read.DocLine;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * The time steps of one series waiting to become documents: a window of {@code window} steps that
 * slides by {@code stride}. Each step holds one value per variable (NaN when missing), its time, the
 * byte offset of the row that brought it, and whether it is an inserted gap. A full window is emitted
 * at once; {@link #flush} emits what is left when steps remain that no window covered. All its
 * windows belong to one split (time series are split by time, see {@link CsvSeriesReader}).
 */
final class SeriesWindow {
  private final CsvOptions options;
  private final TimeSeriesTokenizer scaler;
  private final Split split;
  private final String[] variables;
  private final int v;
  private final double[][] values;
  private final LocalDateTime[] times;
  private final long[] offsets;
  private final boolean[] gap;
  private final int[] masked;
  private int n;
  private int newSteps;
  private int newRows;

  /** Windows of the steps of one split: they never hold steps of another. */
  SeriesWindow(CsvOptions options, TimeSeriesTokenizer scaler, String[] variables, Split split) {
    this.options = options;
    this.split = split;
    this.scaler = scaler;
    this.variables = variables;
    this.v = variables.length;
    this.values = new double[options.window()][];
    this.times = new LocalDateTime[options.window()];
    this.offsets = new long[options.window()];
    this.gap = new boolean[options.window()];
    this.masked = new int[options.window()];
  }

  /** Adds a step (a row, or a gap when {@code row} is null); emits the window when it is full. */
  void add(LocalDateTime t, long offset, double[] row, int maskedCells, String series, Emitter out) {
    if (row == null) {
      row = new double[v];
      Arrays.fill(row, Double.NaN);
    } else {
      newRows++;
    }
    values[n] = row;
    times[n] = t;
    offsets[n] = offset;
    gap[n] = maskedCells < 0;
    masked[n] = Math.max(0, maskedCells);
    n++;
    newSteps++;
    if (n == options.window()) {
      emit(series, out);
      int keep = options.window() - options.stride();
      int from = options.stride();
      System.arraycopy(values, from, values, 0, keep);
      System.arraycopy(times, from, times, 0, keep);
      System.arraycopy(offsets, from, offsets, 0, keep);
      System.arraycopy(gap, from, gap, 0, keep);
      System.arraycopy(masked, from, masked, 0, keep);
      n = keep;
      newSteps = 0;
    }
  }

  /** Adds a gap step (all values missing). */
  void addGap(LocalDateTime t, long offset, String series, Emitter out) {
    add(t, offset, null, -1, series, out);
  }

  /** Ends the series: emits its last window if it has steps no window covered, then empties. */
  void flush(String series, Emitter out) {
    if (newSteps > 0) {
      emit(series, out);
    }
    n = 0;
    newSteps = 0;
    newRows = 0;
  }

  /** Where documents go: a unit factory that knows the next record number. */
  interface Emitter {
    long nextRecordNo();

    void emit(DocLine unit);
  }

  private void emit(String series, Emitter out) {
    int gaps = 0;
    int maskedCells = 0;
    for (int i = 0; i < n; i++) {
      gaps += gap[i] ? 1 : 0;
      maskedCells += masked[i];
    }
    long offset = offsets[0];
    if (options.layout() == CsvOptions.Layout.INTERLEAVED) {
      double[] flat = new double[n * v];
      for (int i = 0; i < n; i++) {
        System.arraycopy(values[i], 0, flat, i * v, v);
      }
      out.emit(DocLine.document(offset, out.nextRecordNo(), text(flat), newRows,
          meta(series, Arrays.asList(variables), scaler.scales(flat), gaps, maskedCells)).inSplit(split));
    } else {
      for (int j = 0; j < v; j++) {
        double[] one = new double[n];
        for (int i = 0; i < n; i++) {
          one[i] = values[i][j];
        }
        out.emit(DocLine.document(offset, out.nextRecordNo(), text(one), j == 0 ? newRows : 0,
            meta(series, List.of(variables[j]), scaler.scales(one), gaps, maskedCells)).inSplit(split));
      }
    }
    newRows = 0;
  }

  private String meta(String series, List<String> names, double[] scales, int gaps, int maskedCells) {
    var o = Json.object().put("series", series == null ? "" : series).put("start", times[0].toString())
        .put("steps", n).put("split", split.id())
        .put("context", scaler.contextSteps(n)).put("gaps", gaps).put("masked", maskedCells);
    names.forEach(o.putArray("variables")::add);
    var s = o.putArray("scales");
    for (double x : scales) {
      s.add(x);
    }
    return Json.text(o);
  }

  /** The text of values for the tokenizer: shortest round-trip decimals, NaN for missing. */
  static byte[] text(double[] values) {
    StringBuilder b = new StringBuilder(values.length * 6);
    for (int i = 0; i < values.length; i++) {
      if (i > 0) {
        b.append(' ');
      }
      b.append(Double.isNaN(values[i]) ? "NaN" : Double.toString(values[i]));
    }
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }
}
