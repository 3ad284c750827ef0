package dev.sparseattn.trainer.eval.series;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sparseattn.datasets.config.JobArgs;
import dev.sparseattn.datasets.manifest.InputInfo;
import dev.sparseattn.datasets.manifest.Manifest;
import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.datasets.manifest.SplitInfo;
import dev.sparseattn.datasets.tokenize.TimeSeriesTokenizer;
import dev.sparseattn.trainer.eval.Evaluate;
import dev.sparseattn.trainer.eval.EvaluateConfig;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link SeriesCsv} reads with the project's CSV reader: the CO2 fixture with rows the reader quarantines inserted
 * in its held-out period (an unreadable time, a repeated time, an extra field, a non-numeric value with the default
 * {@code bad-cell = quarantine}), gzip-compressed, reads as the same series and evaluates to the same scores as the
 * clean file, and the quarantined rows are counted.
 */
class SeriesCsvTest {
    @TempDir Path tmp;

    @Test
    void quarantinedRowsAreLeftOutAsByThePrepareJob() throws Exception {
        Path fixture = Paths.get(System.getProperty("project.root.dir", ".."),
                "data/fixtures/co2-concentration-1958-1967.csv");
        List<String> lines = Files.readAllLines(fixture);
        int at = lines.indexOf("1967-03-01,323.04,321.73") + 1;           // inside the last 24 months
        List<String> dirty = new ArrayList<>(lines);
        dirty.addAll(at, List.of("1967-0x-01,999,999", "1967-03-01,999,999", "1967-03-15,999,999,1",
                "1967-03-20,abc,999"));
        Path dirtyCsv = tmp.resolve("dirty.csv.gz");
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(dirtyCsv))) {
            o.write((String.join("\n", dirty) + "\n").getBytes(StandardCharsets.UTF_8));
        }
        TimeSeriesTokenizer tok = new TimeSeriesTokenizer(new TimeSeriesTokenizer.Options(64, 0.85, 1.15, 2, 6));
        Path clean = dataset(tmp.resolve("clean"), fixture, tok);
        Path quarantined = dataset(tmp.resolve("dirty"), dirtyCsv, tok);

        SeriesCsv.Read a = SeriesCsv.readCounted(PreparedDataset.open(clean.toUri().toString(), new Configuration()));
        SeriesCsv.Read b = SeriesCsv.readCounted(PreparedDataset.open(quarantined.toUri().toString(),
                new Configuration()));
        assertEquals(0, a.quarantined());
        assertEquals(4, b.quarantined());
        assertEquals(1, b.series().size());
        assertArrayEquals(a.series().get(0).values(), b.series().get(0).values());
        assertArrayEquals(a.series().get(0).times(), b.series().get(0).times());

        SeriesEvaluation e = evaluate(clean, "eval-clean");
        SeriesEvaluation f = evaluate(quarantined, "eval-dirty");
        assertEquals(0L, e.quarantinedRows());
        assertEquals(4L, f.quarantinedRows());
        assertEquals(e.origins(), f.origins());
        assertEquals(e.toJson().get("methods"), f.toJson().get("methods"));
    }

    private SeriesEvaluation evaluate(Path data, String out) throws Exception {
        return Evaluate.runSeries(EvaluateConfig.parse(JobArgs.parseOverrides(List.of(
                "evaluate.data=\"" + data.toUri() + "\"", "evaluate.output=\"" + tmp.resolve(out) + "\"",
                "evaluate.forecast.season=12", "evaluate.forecast.horizon=3"))));
    }

    /** A manifest as the prepare job writes for {@code csv} (no shards: the evaluation reads the CSV). */
    private static Path dataset(Path dir, Path csv, TimeSeriesTokenizer tok) throws Exception {
        Map<String, Object> csvKeys = new LinkedHashMap<>();
        csvKeys.put("time-column", "Date");
        csvKeys.put("series-column", "");
        csvKeys.put("value-columns", List.of("CO2", "adjusted CO2"));
        csvKeys.put("step", "P1M");
        csvKeys.put("window", 24);
        csvKeys.put("stride", 1);
        csvKeys.put("layout", "interleaved");
        Map<String, Object> prepare = new LinkedHashMap<>();
        prepare.put("format", "csv");
        prepare.put("validation-period", 24);
        prepare.put("test-period", 0);
        prepare.put("csv", csvKeys);
        SplitInfo empty = new SplitInfo(0, 0, 0, List.of(), new long[tok.vocabSize()]);
        Manifest m = new Manifest(Manifest.SCHEMA_VERSION, "SeriesCsvTest", tok.describe(), 32, "window", 0,
                Files.size(csv), 0, 1, List.of(new InputInfo(csv.toUri().toString(), 0, Files.size(csv))),
                Map.of("train", empty, "validation", empty), prepare, "csv", null);
        Files.createDirectories(dir);
        m.write(dir.toUri().toString(), new Configuration());
        return dir;
    }
}
