package dev.sparseattn.datasets.read;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.typesafe.config.ConfigFactory;
import dev.sparseattn.datasets.testdata.RealData;
import dev.sparseattn.datasets.tokenize.TimeSeriesTokenizer;
import dev.sparseattn.datasets.read.CsvOptions;
import dev.sparseattn.pipeline.PrepareConfig;
import dev.sparseattn.datasets.read.DocLine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

public class CsvSeriesReaderTest {
  public static final String CSV = """
      date,station,temp,wind,weather
      2020-01-01,A,1.5,2,rain
      2020-01-02,A,2.5,,sun
      2020-01-04,A,3.5,4,rain
      2020-01-04,A,9,9,rain
      2020-01-03,A,1,1,rain
      2020-01-05,A,abc,1,sun
      2020-01-06,A,1
      2020-01-06,A,5.5,6,fog
      xx,A,1,1,rain
      2020-01-01,B,10,20,snow
      2020-01-02,B,11,21,hail
      """;

  static PrepareConfig config(String csv) {
    return PrepareConfig.parse(ConfigFactory.parseString("prepare { input = [x], output = y, format = csv,"
        + " tokenizer = time-series, csv { time-column = date, series-column = station, step = P1D, window = 4, "
        + csv + " } }"));
  }

  static List<DocLine> read(PrepareConfig c, String content) {
    return Units.read(new CsvSeriesReader(c.formats().csv(), new TimeSeriesTokenizer(c.tokenizerOptions().timeSeries())),
        content);
  }

  @Test
  void gapsMaskedBadRowsQuarantinedSeriesSplit() {
    List<DocLine> units = read(config("value-columns = [temp, wind], categorical-columns = [weather]"), CSV);
    List<String> reasons = units.stream().filter(DocLine::bad).map(DocLine::reason).toList();
    assertEquals(List.of(
        "duplicate-timestamp: 2020-01-04T00:00 repeats the previous row's time",
        "out-of-order: 2020-01-03T00:00 is before the previous row's 2020-01-04T00:00",
        "non-numeric: column 'temp' is 'abc'",
        "missing-column: 3 fields, the header has 5",
        "bad-timestamp: 'xx'"
            + "; accepted: yyyy-MM-dd, yyyy-MM-ddTHH:mm[:ss[.fff]] (T or a space); not yyyy-MM (csv.step in months or years, e.g. P1M) or yyyy (csv.step in years, e.g. P1Y)"), reasons);
    List<DocLine> docs = units.stream().filter(d -> !d.bad()).toList();
    assertEquals(List.of("1.5 2.0 2.5 NaN NaN NaN 3.5 4.0", "NaN NaN 5.5 6.0", "10.0 20.0 11.0 21.0"),
        docs.stream().map(Units::text).toList());
    assertEquals(List.of(3, 1, 2), docs.stream().map(DocLine::records).toList());
    assertEquals(11, units.stream().mapToInt(DocLine::records).sum(), "6 rows emitted + 5 quarantined");
    assertEquals(31, docs.get(0).offset(), "the first row's byte offset");
    // masked counts the empty wind cell of 01-02 (gap steps are counted as gaps, not masked cells)
    // scales: mean |x| of the context, the first 2 of 4 steps (csv.window = 4, time-series.horizon = 2)
    assertEquals("{\"series\":\"A\",\"start\":\"2020-01-01T00:00\",\"steps\":4,\"split\":\"train\",\"context\":2,"
        + "\"gaps\":1,\"masked\":1,\"variables\":[\"temp\",\"wind\"],\"scales\":[2.0,2.0]}", docs.get(0).meta());
    // a 2-step window keeps 1 context step, here the gap of 01-05: nothing observed, scale 1
    assertEquals("{\"series\":\"A\",\"start\":\"2020-01-05T00:00\",\"steps\":2,\"split\":\"train\",\"context\":1,"
        + "\"gaps\":1,\"masked\":0,\"variables\":[\"temp\",\"wind\"],\"scales\":[1.0,1.0]}", docs.get(1).meta());
  }

  @Test
  void separateLayoutMaskedCellsAndCategoryIds() {
    List<DocLine> separate = read(config("value-columns = [temp, wind], layout = separate, bad-cell = mask"), CSV)
        .stream().filter(d -> !d.bad()).toList();
    assertEquals(List.of("1.5 2.5 NaN 3.5", "2.0 NaN NaN 4.0", "NaN 5.5", "1.0 6.0"),
        separate.subList(0, 4).stream().map(Units::text).toList(), "01-05's 'abc' masked, not quarantined");
    assertEquals(List.of(3, 0, 2, 0), separate.subList(0, 4).stream().map(DocLine::records).toList());

    List<DocLine> ids = read(config("value-columns = [temp, wind], categorical-columns = [weather],"
        + " categorical = ids, categories = [rain, sun, fog, snow]"), CSV);
    assertEquals("1.5 2.0 0.0 2.5 NaN 1.0 NaN NaN NaN 3.5 4.0 0.0", Units.text(ids.get(0)));
    List<DocLine> bad = ids.stream().filter(DocLine::bad).toList();
    assertEquals("non-numeric: column 'weather' is 'hail'", bad.get(bad.size() - 1).reason());
    assertEquals("10.0 20.0 3.0", Units.text(ids.get(ids.size() - 1)), "B: one row left, snow = 3");
  }

  @Test
  void missingConfiguredColumnQuarantinesEveryRow() {
    List<DocLine> units = read(config("value-columns = [temp, pressure]"), CSV);
    assertEquals(11, units.size());
    assertEquals("missing-column: not in the header: pressure", units.get(0).reason());
    assertNull(units.stream().filter(d -> !d.bad()).findAny().orElse(null));
  }

  /** The real Seattle series (the fixture: 2012, 366 days, no gaps): 11 windows of 64 days with stride 32. */
  @Test
  void seattleWeather() throws Exception {
    assertSeattleWindows(RealData.SEATTLE.fixture(), 366, 11, 366 - 352);
  }

  /** The whole series, 2012-2015: 1,461 days, 45 windows. */
  @Test
  @Tag("shared-data")
  void wholeSeattleWeather() throws Exception {
    assertSeattleWindows(RealData.SEATTLE.shared(), 1461, 45, 1461 - 1440);
  }

  /** {@code fresh}: the days of the last window that no earlier window covered. */
  private static void assertSeattleWindows(Path file, int days, int windows, int fresh) throws Exception {
    String csv = Files.readString(file);
    List<DocLine> units = read(config("series-column = \"\", window = 64, stride = 32,"
        + " value-columns = [precipitation, temp_max, temp_min, wind], categorical-columns = [weather]"), csv);
    assertEquals(windows, units.size());
    assertEquals(days, units.stream().mapToInt(DocLine::records).sum());
    assertEquals(0, units.stream().filter(DocLine::bad).count());
    assertEquals("0.0 12.8 5.0 4.7 10.9 10.6 2.8 4.5 ", Units.text(units.get(0)).substring(0, 35));
    assertEquals((32 + fresh) * 4, Units.text(units.get(windows - 1)).split(" ").length,
        "the last window: 32 days of overlap + the " + fresh + " days no earlier window covered");
    assertEquals(fresh, units.get(windows - 1).records());
  }
}
