package dev.sparseattn.datasets.read;

import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.datasets.tokenize.TimeSeriesTokenizer;
import dev.sparseattn.datasets.read.CsvOptions;
import dev.sparseattn.datasets.read.TimeStep;
import dev.sparseattn.datasets.read.DocLine;
import java.io.InputStream;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * CSV time series, streamed: a header line, then one row per time step (and series, with a series
 * column). Rows become windows of {@code window} time steps with stride {@code stride}; with a known
 * step, missing time steps are inserted as all-missing steps (masked gaps, never interpolated). Each
 * window is one document (interleaved layout: every variable at each step) or one per variable
 * (separate layout); its text is the values, {@code NaN} for missing, for {@link TimeSeriesTokenizer}.
 * Metadata of each window: series, first time, steps, gap steps, masked cells, variables and the
 * scales that decode its tokens back to values.
 *
 * <p>Split by time: the last {@code test-period} steps of every series (gap steps included) are the
 * test split, the {@code validation-period} steps before them the validation split, each cut into
 * windows of its own; the earlier steps are the training split. No window straddles a boundary, so no
 * held-out value is in any training window, as input or target. A step is held back until that many
 * later steps have arrived (memory: that many steps), so the reader stays streaming. A series no
 * longer than the periods is all held out (test first).
 *
 * <p>Accounting unit: the row. A window counts the rows it adds (overlapping rows count once).
 * Quarantined rows: too few fields ({@code missing-column}), too many ({@code extra-field}),
 * configured columns absent from the header ({@code missing-column}, every row; the header line
 * itself when the file has no rows), unparsable time ({@code bad-timestamp}, see {@link #parseTime}; a
 * year or year-month the step does not call for is told which formats the step accepts),
 * a time equal to ({@code duplicate-timestamp}) or before ({@code out-of-order}) the previous row's
 * of its series, a non-numeric value with {@code bad-cell = quarantine} ({@code non-numeric}). A
 * quarantined row's record number is its 1-based line number in the file (the header is line 1).
 */
public final class CsvSeriesReader implements RecordFormat {
  private static final long serialVersionUID = 1L;
  static final int MAX_LINE = 1 << 20;

  private final CsvOptions options;
  private final TimeSeriesTokenizer scaler;

  /** {@code scaler} computes the windows' scales as the tokenizer will (one variable when separate). */
  public CsvSeriesReader(CsvOptions options, TimeSeriesTokenizer scaler) {
    this.options = options;
    this.scaler = scaler;
  }

  @Override
  public Units open(InputStream in) {
    return new Reader(new ByteLines(in, MAX_LINE));
  }

  private final class Reader extends QueuedUnits implements SeriesWindow.Emitter {
    private final ByteLines lines;
    private final TimeStep step = TimeStep.parse(options.step());
    private List<String> header;
    private int timeIndex = -1;
    private int seriesIndex = -1;
    private int[] valueIndex;
    private String[] variableNames;
    private String missingColumns;
    private SeriesWindow window;
    private SeriesWindow held;
    private SeriesWindow test;
    private final java.util.ArrayDeque<Step> pending = new java.util.ArrayDeque<>();
    private String series;
    private LocalDateTime last;
    private long lineNo;
    private long headerOffset;
    private boolean anyRow;

    Reader(ByteLines lines) {
      this.lines = lines;
    }

    @Override
    protected boolean advance() {
      while (lines.next()) {
        lineNo++;
        if (lines.length() == 0) {
          continue;
        }
        if (header == null) {
          headerOffset = lines.offset();
          readHeader(CsvLine.split(lines.bytes(), lines.length(), ','));
          continue;
        }
        anyRow = true;
        row(lines.offset(), CsvLine.split(lines.bytes(), lines.length(), ','));
        return true;
      }
      endSeries();
      if (missingColumns != null && !anyRow) { // no row to report them on: the header is the bad record
        emit(DocLine.quarantined(headerOffset, headerLine, headerSample,
            "missing-column: not in the header: " + missingColumns + " (the file has no rows)"));
      }
      return false;
    }

    @Override
    public void emit(DocLine unit) {
      super.emit(unit);
    }

    @Override
    public long nextRecordNo() {
      return super.nextRecordNo();
    }

    private long headerLine;
    private byte[] headerSample;

    private void readHeader(List<String> fields) {
      headerLine = lineNo;
      headerSample = Arrays.copyOf(lines.bytes(), Math.min(lines.length(), 96));
      header = fields.stream().map(String::trim).toList();
      timeIndex = header.indexOf(options.timeColumn());
      seriesIndex = options.seriesColumn().isEmpty() ? -1 : header.indexOf(options.seriesColumn());
      List<String> names = new ArrayList<>(options.valueColumns());
      if (options.categorical() == CsvOptions.Categorical.IDS) {
        names.addAll(options.categoricalColumns());
      }
      variableNames = names.toArray(String[]::new);
      valueIndex = names.stream().mapToInt(header::indexOf).toArray();
      window = new SeriesWindow(options, scaler, variableNames, Split.TRAIN);
      held = new SeriesWindow(options, scaler, variableNames, Split.VALIDATION);
      test = new SeriesWindow(options, scaler, variableNames, Split.TEST);
      List<String> missing = new ArrayList<>();
      if (timeIndex < 0) {
        missing.add(options.timeColumn());
      }
      if (!options.seriesColumn().isEmpty() && seriesIndex < 0) {
        missing.add(options.seriesColumn());
      }
      for (int i = 0; i < valueIndex.length; i++) {
        if (valueIndex[i] < 0) {
          missing.add(variableNames[i]);
        }
      }
      missingColumns = missing.isEmpty() ? null : String.join(", ", missing);
    }

    private void row(long offset, List<String> fields) {
      byte[] sample = Arrays.copyOf(lines.bytes(), Math.min(lines.length(), 96));
      if (missingColumns != null) {
        quarantine(offset, sample, "missing-column: not in the header: " + missingColumns);
        return;
      }
      if (fields.size() != header.size()) {
        quarantine(offset, sample, (fields.size() < header.size() ? "missing-column: " : "extra-field: ")
            + fields.size() + " fields, the header has " + header.size());
        return;
      }
      LocalDateTime t = parseTime(fields.get(timeIndex).trim(), step);
      if (t == null) {
        String time = fields.get(timeIndex).trim();
        quarantine(offset, sample, "bad-timestamp: '" + time + "'; accepted: " + acceptedTimes(step));
        return;
      }
      String id = seriesIndex < 0 ? "" : fields.get(seriesIndex).trim();
      if (series != null && !id.equals(series)) {
        endSeries();
      }
      if (last != null && t.equals(last)) {
        quarantine(offset, sample, "duplicate-timestamp: " + t + " repeats the previous row's time");
        return;
      }
      if (last != null && t.isBefore(last)) {
        quarantine(offset, sample, "out-of-order: " + t + " is before the previous row's " + last);
        return;
      }
      double[] row = new double[variableNames.length];
      int masked = 0;
      for (int j = 0; j < row.length; j++) {
        String cell = fields.get(valueIndex[j]).trim();
        double x = cellValue(j, cell);
        if (x == BAD) {
          if (options.badCell() == CsvOptions.BadCell.QUARANTINE) {
            quarantine(offset, sample, "non-numeric: column '" + variableNames[j] + "' is '" + cell + "'");
            return;
          }
          x = Double.NaN;
          masked++;
        } else if (Double.isNaN(x)) {
          masked++; // an empty or NaN cell is a masked value like a masked bad cell
        }
        row[j] = x;
      }
      series = id;
      fillGap(t, offset);
      step(new Step(t, offset, row, masked));
      last = t;
    }

    /** Missing steps between the previous row and {@code t} become gap steps; a too long gap ends the segment. */
    private void fillGap(LocalDateTime t, long offset) {
      if (step.none() || last == null) {
        return;
      }
      int missing = 0;
      for (LocalDateTime e = step.next(last); e.isBefore(t); e = step.next(e)) {
        if (++missing > options.maxGap()) {
          drainPending(); // a new segment of the same series: the held-out period is the series' end
          window.flush(series, this);
          return;
        }
      }
      for (LocalDateTime e = step.next(last); e.isBefore(t); e = step.next(e)) {
        step(new Step(e, offset, null, -1));
      }
    }

    /** A step (a gap when {@code row} is null) waits until it cannot be among the series' last steps. */
    private void step(Step s) {
      pending.addLast(s);
      if (pending.size() > options.validationPeriod() + options.testPeriod()) {
        Step first = pending.removeFirst();
        window.add(first.time(), first.offset(), first.row(), first.masked(), series, this);
      }
    }

    private void drainPending() {
      while (!pending.isEmpty()) {
        Step s = pending.removeFirst();
        window.add(s.time(), s.offset(), s.row(), s.masked(), series, this);
      }
    }

    /** Ends the series: its training windows, then the held-out steps: validation, then the last ones test. */
    private void endSeries() {
      if (window != null) {
        window.flush(series, this);
        int validation = pending.size() - Math.min(options.testPeriod(), pending.size());
        for (int i = 0; !pending.isEmpty(); i++) {
          Step s = pending.removeFirst();
          (i < validation ? held : test).add(s.time(), s.offset(), s.row(), s.masked(), series, this);
        }
        held.flush(series, this);
        test.flush(series, this);
      }
      last = null;
      series = null;
    }

    private double cellValue(int j, String cell) {
      if (j >= options.valueColumns().size()) { // a categorical column mapped to ids
        int id = options.categories().indexOf(cell);
        return cell.isEmpty() ? Double.NaN : id < 0 ? BAD : id;
      }
      try {
        return TimeSeriesTokenizer.parseValue(cell);
      } catch (NumberFormatException e) {
        return BAD;
      }
    }

    private void quarantine(long offset, byte[] sample, String reason) {
      emit(DocLine.quarantined(offset, lineNo, sample, reason));
    }

    @Override
    public long position() {
      return lines.consumed();
    }
  }

  private static final double BAD = Double.NEGATIVE_INFINITY;

  /** A time step waiting for its split: values (null for a gap), masked cells (-1 for a gap). */
  private record Step(LocalDateTime time, long offset, double[] row, int masked) {}

  /**
   * An ISO date ({@code 2020-01-31}) or date-time ({@code 2020-01-31T12:00}, {@code T} or a space,
   * seconds and fractions optional); where the step is whole months or years (e.g. {@code P1M},
   * {@code P3M}, {@code P1Y}), also a year-month ({@code 1880-01}, the first of the month), and where
   * it is whole years, also a year ({@code 1880}, 1 January). Null if {@code s} is none of these.
   */
  static LocalDateTime parseTime(String s, TimeStep step) {
    try {
      if (YEAR.matcher(s).matches() && years(step)) {
        return LocalDate.of(Integer.parseInt(s), 1, 1).atStartOfDay();
      }
      if (YEAR_MONTH.matcher(s).matches() && months(step)) {
        return YearMonth.parse(s).atDay(1).atStartOfDay();
      }
      if (s.length() <= 10) {
        return LocalDate.parse(s).atStartOfDay();
      }
      return LocalDateTime.parse(s.replace(' ', 'T').toUpperCase(Locale.ROOT));
    } catch (java.time.format.DateTimeParseException e) {
      return null;
    }
  }

  private static final Pattern YEAR = Pattern.compile("\\d{4}");
  private static final Pattern YEAR_MONTH = Pattern.compile("\\d{4}-\\d{2}");

  private static boolean months(TimeStep step) {
    return step.period() != null && step.period().getDays() == 0;
  }

  private static boolean years(TimeStep step) {
    return months(step) && step.period().getMonths() == 0;
  }

  /** The time formats {@link #parseTime} accepts with this step, for messages. */
  static String acceptedTimes(TimeStep step) {
    String always = "yyyy-MM-dd, yyyy-MM-ddTHH:mm[:ss[.fff]] (T or a space)";
    String month = "yyyy-MM (csv.step in months or years, e.g. P1M)";
    String year = "yyyy (csv.step in years, e.g. P1Y)";
    return always + (years(step) ? ", " + month + ", " + year : months(step) ? ", " + month + "; not " + year
        : "; not " + month + " or " + year);
  }
}
