package dev.sparseattn.trainer.eval.series;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigValueFactory;
import dev.sparseattn.datasets.config.DataError;
import dev.sparseattn.datasets.config.Section;
import dev.sparseattn.datasets.manifest.InputInfo;
import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.datasets.read.CsvOptions;
import dev.sparseattn.datasets.read.CsvSeriesReader;
import dev.sparseattn.datasets.read.DocLine;
import dev.sparseattn.datasets.read.RecordFormat;
import dev.sparseattn.datasets.read.TimeStep;
import dev.sparseattn.datasets.tokenize.TimeSeriesTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;

/**
 * The series of a dataset prepared from CSV ({@code format = csv}), read again from its input files in original
 * units by the project's one CSV reader, {@link CsvSeriesReader}, with the prepare job's own {@code csv} settings
 * from the manifest: the values a forecast is scored against, not the quantised tokens. The reader runs without a
 * held-out split and in consecutive windows (stride = window, interleaved), whose values are concatenated per
 * series; missing steps on the {@code csv.step} grid are gap steps (every value NaN) and masked cells NaN, as the
 * prepare job has them. Rows the reader quarantines (unreadable time, duplicated or out-of-order time, wrong field
 * count, a non-numeric value with {@code bad-cell = quarantine}) are left out, as the prepare job leaves them out,
 * and counted ({@link Read#quarantined()}). Segments the reader splits at a gap longer than {@code max-gap}, and a
 * series id that reappears later in the inputs, are joined with gap steps; a reappearing id whose time is not after
 * the series' last is an error. Inputs: plain text or any codec Hadoop knows by the file's extension.
 */
public final class SeriesCsv {
    private SeriesCsv() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The series read and the rows quarantined on the way.
     *
     * @param series      in order of first appearance
     * @param quarantined input rows the reader quarantined (left out, as by the prepare job)
     */
    public record Read(List<Series> series, long quarantined) {}

    /** The dataset's series, in order of first appearance. */
    public static List<Series> read(PreparedDataset data) throws IOException {
        return readCounted(data).series();
    }

    /** The dataset's series and the count of quarantined rows. */
    public static Read readCounted(PreparedDataset data) throws IOException {
        Map<String, Object> prepare = data.manifest().prepareConfig();
        if (prepare == null || !"csv".equals(data.manifest().format()) || !(prepare.get("csv") instanceof Map<?, ?>)
                || !(data.tokenizer() instanceof TimeSeriesTokenizer tok)) {
            throw new DataError("dataset " + data.dir() + " was not prepared from CSV (format = csv): no series to"
                    + " forecast");
        }
        CsvOptions recorded = CsvOptions.parse(new Section(ConfigValueFactory.fromMap(Map.of("prepare", prepare))
                .toConfig(), "prepare.csv"));
        TimeStep step = TimeStep.parse(recorded.step());
        int window = step.none() ? 1 : recorded.window();      // without a step only a window's start has a time
        CsvOptions options = new CsvOptions(recorded.timeColumn(), recorded.seriesColumn(), recorded.valueColumns(),
                recorded.categoricalColumns(), recorded.categorical(), recorded.categories(), recorded.step(),
                recorded.maxGap(), window, window, CsvOptions.Layout.INTERLEAVED, recorded.badCell(), 0, 0);
        RecordFormat reader = new CsvSeriesReader(options, tok);
        CompressionCodecFactory codecs = new CompressionCodecFactory(data.hadoopConf());
        Map<String, Builder> series = new LinkedHashMap<>();
        String[] names = null;
        long quarantined = 0;
        for (InputInfo input : data.manifest().inputs()) {
            Path path = new Path(input.path());
            CompressionCodec codec = codecs.getCodec(path);
            try (InputStream raw = path.getFileSystem(data.hadoopConf()).open(path);
                 InputStream in = codec == null ? raw : codec.createInputStream(raw)) {
                RecordFormat.Units units = reader.open(in);
                while (units.hasNext()) {
                    DocLine d = units.next();
                    if (d.bad()) {
                        if (d.reason().startsWith("missing-column: not in the header")) {
                            throw new DataError(path + ": " + d.reason());
                        }
                        quarantined++;
                        continue;
                    }
                    JsonNode meta = JSON.readTree(d.meta());
                    if (names == null) {
                        names = new String[meta.path("variables").size()];
                        for (int i = 0; i < names.length; i++) {
                            names[i] = meta.path("variables").get(i).asText();
                        }
                    }
                    String id = meta.path("series").asText("");
                    series.computeIfAbsent(id, k -> new Builder(k, step, options.variables())).add(
                            LocalDateTime.parse(meta.path("start").asText()),
                            TimeSeriesTokenizer.parse(d.bytes(), 0, d.bytes().length), path);
                }
            }
        }
        if (series.isEmpty()) {
            throw new DataError("dataset " + data.dir() + ": its inputs have no readable row (" + quarantined
                    + " quarantined)");
        }
        String[] variables = names == null ? options.valueColumns().toArray(new String[0]) : names;
        return new Read(series.values().stream().map(b -> b.build(variables)).toList(), quarantined);
    }

    /** The steps of one series, window after window; gaps between windows filled on the step's grid. */
    private static final class Builder {
        private final String id;
        private final TimeStep step;
        private final int v;
        private final List<LocalDateTime> times = new ArrayList<>();
        private double[] values = new double[64];
        private int n;                                          // values used

        Builder(String id, TimeStep step, int v) {
            this.id = id;
            this.step = step;
            this.v = v;
        }

        /** A window of steps starting at {@code start} // window: [steps * V]. */
        void add(LocalDateTime start, double[] window, Path path) {
            if (!times.isEmpty()) {
                LocalDateTime last = times.get(times.size() - 1);
                if (!start.isAfter(last)) {
                    throw new DataError(path + ": time " + start + " of series '" + id + "' is not after " + last
                            + " (the series reappears out of order)");
                }
                if (!step.none()) {
                    for (LocalDateTime e = step.next(last); e.isBefore(start); e = step.next(e)) {
                        times.add(e);
                        append(null);
                    }
                }
            }
            int steps = window.length / v;
            LocalDateTime t = start;
            for (int i = 0; i < steps; i++) {
                times.add(t);
                t = step.none() ? t : step.next(t);
            }
            append(window);
        }

        /** Appends a window's values, or one gap step's NaNs when {@code window} is null. */
        private void append(double[] window) {
            int len = window == null ? v : window.length;
            if (n + len > values.length) {
                values = Arrays.copyOf(values, Math.max(values.length * 2, n + len));
            }
            if (window == null) {
                Arrays.fill(values, n, n + len, Double.NaN);
            } else {
                System.arraycopy(window, 0, values, n, len);
            }
            n += len;
        }

        Series build(String[] names) {
            return new Series(id, times.toArray(new LocalDateTime[0]), names, Arrays.copyOf(values, n));
        }
    }
}
