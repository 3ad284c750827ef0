package dev.sparseattn.trainer.eval.series;

import dev.sparseattn.datasets.config.DataError;
import dev.sparseattn.datasets.manifest.InputInfo;
import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.datasets.tokenize.TimeSeriesTokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.Period;
import java.time.YearMonth;
import java.time.temporal.TemporalAmount;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The series of a dataset prepared from CSV ({@code format = csv}), read again from its input files in original
 * units with the prepare job's own {@code csv} settings from the manifest (time, series and value columns, step):
 * the values a forecast is scored against, not the quantised tokens. Missing steps on the {@code csv.step} grid
 * become gap steps and non-numeric or empty cells NaN, as the prepare job masks them; rows out of time order are an
 * error (the prepare job quarantines them; evaluate a dataset whose inputs are clean). Plain text or gzip inputs.
 */
public final class SeriesCsv {
    private SeriesCsv() {}

    /** The dataset's series, in order of first appearance. */
    @SuppressWarnings("unchecked")
    public static List<Series> read(PreparedDataset data) throws IOException {
        Map<String, Object> prepare = data.manifest().prepareConfig();
        if (prepare == null || !"csv".equals(data.manifest().format())
                || !(prepare.get("csv") instanceof Map<?, ?> m)) {
            throw new DataError("dataset " + data.dir() + " was not prepared from CSV (format = csv): no series to"
                    + " forecast");
        }
        Map<String, Object> csv = (Map<String, Object>) m;
        String timeColumn = String.valueOf(csv.get("time-column"));
        String seriesColumn = String.valueOf(csv.getOrDefault("series-column", ""));
        List<String> valueColumns = (List<String>) csv.get("value-columns");
        TemporalAmount step = step(String.valueOf(csv.getOrDefault("step", "")));
        Map<String, Builder> series = new LinkedHashMap<>();
        for (InputInfo input : data.manifest().inputs()) {
            Path path = new Path(input.path());
            FileSystem fs = path.getFileSystem(data.hadoopConf());
            try (BufferedReader r = new BufferedReader(new InputStreamReader(
                    path.getName().endsWith(".gz") ? new java.util.zip.GZIPInputStream(fs.open(path)) : fs.open(path),
                    StandardCharsets.UTF_8))) {
                List<String> header = fields(r.readLine());
                int time = column(header, timeColumn, path);
                int id = seriesColumn.isEmpty() ? -1 : column(header, seriesColumn, path);
                int[] value = valueColumns.stream().mapToInt(c -> column(header, c, path)).toArray();
                String line;
                long row = 1;
                while ((line = r.readLine()) != null) {
                    row++;
                    if (line.isBlank()) {
                        continue;
                    }
                    List<String> f = fields(line);
                    String key = id < 0 ? "" : f.get(id).trim();
                    double[] values = new double[value.length];
                    for (int v = 0; v < value.length; v++) {
                        values[v] = value[v] < f.size() ? number(f.get(value[v])) : Double.NaN;
                    }
                    LocalDateTime t = time(f.get(time).trim(), path, row);
                    series.computeIfAbsent(key, k -> new Builder(k, step, valueColumns.size())).add(t, values, path,
                            row);
                }
            }
        }
        String[] names = valueColumns.toArray(new String[0]);
        return series.values().stream().map(b -> b.build(names)).toList();
    }

    /** The step as an ISO period ({@code P1D}, {@code P1M}) or duration ({@code PT1H}); null for none. */
    static TemporalAmount step(String text) {
        String t = text.trim();
        if (t.isEmpty()) {
            return null;
        }
        return t.toUpperCase(Locale.ROOT).contains("T") ? Duration.parse(t) : Period.parse(t);
    }

    private static int column(List<String> header, String name, Path path) {
        int i = header.indexOf(name);
        if (i < 0) {
            throw new DataError(path + " has no column '" + name + "' (header: " + header + ")");
        }
        return i;
    }

    private static List<String> fields(String line) {
        if (line == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (String f : line.split(",", -1)) {
            String s = f.trim();
            out.add(s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"") ? s.substring(1, s.length() - 1) : s);
        }
        return out;
    }

    private static double number(String field) {
        try {
            return TimeSeriesTokenizer.parseValue(field);
        } catch (NumberFormatException e) {
            return Double.NaN;                       // the prepare job masks or quarantines it: never a value
        }
    }

    /** ISO date or date-time, year-month, or year (the formats the prepare job accepts). */
    private static LocalDateTime time(String s, Path path, long row) {
        try {
            if (s.matches("\\d{4}")) {
                return LocalDate.of(Integer.parseInt(s), 1, 1).atStartOfDay();
            }
            if (s.matches("\\d{4}-\\d{2}")) {
                return YearMonth.parse(s).atDay(1).atStartOfDay();
            }
            return s.length() <= 10 ? LocalDate.parse(s).atStartOfDay()
                    : LocalDateTime.parse(s.replace(' ', 'T').toUpperCase(Locale.ROOT));
        } catch (java.time.format.DateTimeParseException e) {
            throw new DataError(path + " row " + row + ": unreadable time '" + s + "'");
        }
    }

    /** The steps of one series as they arrive; gaps filled on the step's grid. */
    private static final class Builder {
        private final String id;
        private final TemporalAmount step;
        private final int v;
        private final List<LocalDateTime> times = new ArrayList<>();
        private final List<double[]> rows = new ArrayList<>();

        Builder(String id, TemporalAmount step, int v) {
            this.id = id;
            this.step = step;
            this.v = v;
        }

        void add(LocalDateTime t, double[] values, Path path, long row) {
            if (!times.isEmpty()) {
                LocalDateTime last = times.get(times.size() - 1);
                if (!t.isAfter(last)) {
                    throw new DataError(path + " row " + row + ": time " + t + " of series '" + id
                            + "' is not after " + last + " (duplicated or out of order)");
                }
                if (step != null) {
                    for (LocalDateTime e = last.plus(step); e.isBefore(t); e = e.plus(step)) {
                        double[] gap = new double[v];
                        Arrays.fill(gap, Double.NaN);
                        times.add(e);
                        rows.add(gap);
                    }
                }
            }
            times.add(t);
            rows.add(values);
        }

        Series build(String[] names) {
            double[] values = new double[rows.size() * v];
            for (int t = 0; t < rows.size(); t++) {
                System.arraycopy(rows.get(t), 0, values, t * v, v);
            }
            return new Series(id, times.toArray(new LocalDateTime[0]), names, values);
        }
    }
}
