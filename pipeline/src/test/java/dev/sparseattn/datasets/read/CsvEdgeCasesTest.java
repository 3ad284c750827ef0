package dev.sparseattn.datasets.read;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.sparseattn.datasets.tokenize.TimeSeriesTokenizer;
import dev.sparseattn.pipeline.PrepareConfig;
import dev.sparseattn.datasets.read.TimeStep;
import dev.sparseattn.datasets.read.DocLine;
import java.time.LocalDateTime;
import java.util.List;
import org.junit.jupiter.api.Test;

/** CSV inputs the first version got wrong: year-only times, header-only files, long rows, record numbers. */
class CsvEdgeCasesTest {
  private static List<DocLine> read(String csvKeys, String content) {
    PrepareConfig c = PrepareConfig.parse(ConfigFactory.parseString("prepare { input = [x], output = y, format = csv,"
        + " tokenizer = time-series, csv { " + csvKeys + " } }"));
    return Units.read(new CsvSeriesReader(c.formats().csv(), new TimeSeriesTokenizer(c.tokenizerOptions().timeSeries())),
        content);
  }

  private static List<String> reasons(List<DocLine> units) {
    return units.stream().filter(DocLine::bad).map(DocLine::reason).toList();
  }

  @Test
  void yearsWithAYearlyStepAndGapsBetweenThem() {
    String csv = "year,anomaly\n1880,-0.16\n1881,-0.08\n1883,-0.17\n";
    List<DocLine> units = read("time-column = year, value-columns = [anomaly], step = P1Y, window = 8", csv);
    assertEquals(List.of(), reasons(units));
    assertEquals(1, units.size());
    assertEquals("-0.16 -0.08 NaN -0.17", Units.text(units.get(0)), "1882 is a masked gap");
    assertTrue(units.get(0).meta().contains("\"start\":\"1880-01-01T00:00\",\"steps\":4,\"split\":\"train\",\"context\":1,\"gaps\":1"), units.get(0).meta());
  }

  @Test
  void yearMonthsWithAMonthlyStep() {
    List<DocLine> units = read("time-column = m, value-columns = [v], step = P1M, window = 8",
        "m,v\n1880-01,1\n1880-02,2\n1880-04,4\n1881,5\n");
    assertEquals(List.of("1.0 2.0 NaN 4.0"), units.stream().filter(d -> !d.bad()).map(Units::text).toList());
    assertEquals(List.of("bad-timestamp: '1881'; accepted: yyyy-MM-dd, yyyy-MM-ddTHH:mm[:ss[.fff]] (T or a space),"
        + " yyyy-MM (csv.step in months or years, e.g. P1M); not yyyy (csv.step in years, e.g. P1Y)"), reasons(units));
  }

  @Test
  void aYearWithADailyStepNamesTheAcceptedFormats() {
    List<DocLine> units = read("time-column = year, value-columns = [v], step = P1D", "year,v\n1880,1\n");
    assertEquals(List.of("bad-timestamp: '1880'; accepted: yyyy-MM-dd, yyyy-MM-ddTHH:mm[:ss[.fff]] (T or a space);"
        + " not yyyy-MM (csv.step in months or years, e.g. P1M) or yyyy (csv.step in years, e.g. P1Y)"), reasons(units));
  }

  @Test
  void otherBadTimesAreQuotedAsTheyAreWithTheAcceptedFormats() {
    assertEquals(List.of("bad-timestamp: 'xx'"
        + "; accepted: yyyy-MM-dd, yyyy-MM-ddTHH:mm[:ss[.fff]] (T or a space); not yyyy-MM (csv.step in months or years, e.g. P1M) or yyyy (csv.step in years, e.g. P1Y)"),
        reasons(read("time-column = t, value-columns = [v], step = P1D", "t,v\nxx,1\n")));
  }

  @Test
  void parseTimeFollowsTheStep() {
    TimeStep yearly = TimeStep.parse("P1Y");
    TimeStep quarterly = TimeStep.parse("P3M");
    TimeStep none = TimeStep.NONE;
    assertEquals(LocalDateTime.of(1880, 1, 1, 0, 0), CsvSeriesReader.parseTime("1880", yearly));
    assertEquals(LocalDateTime.of(1880, 7, 1, 0, 0), CsvSeriesReader.parseTime("1880-07", yearly));
    assertEquals(LocalDateTime.of(1880, 7, 1, 0, 0), CsvSeriesReader.parseTime("1880-07", quarterly));
    assertNull(CsvSeriesReader.parseTime("1880", quarterly));
    assertNull(CsvSeriesReader.parseTime("1880", none));
    assertNull(CsvSeriesReader.parseTime("1880-13", yearly));
    assertEquals(LocalDateTime.of(2020, 1, 2, 3, 4, 5), CsvSeriesReader.parseTime("2020-01-02 03:04:05", none));
  }

  @Test
  void headerOnlyFileWithoutTheColumnsNamesThem() {
    List<DocLine> units = read("time-column = date, value-columns = [temp, wind]", "\ndate,temperature\n");
    assertEquals(1, units.size());
    DocLine header = units.get(0);
    assertEquals("missing-column: not in the header: temp, wind (the file has no rows)", header.reason());
    assertEquals(2, header.recordNo(), "the header's line number");
    assertEquals(1, header.offset());
    assertEquals(List.of(), read("time-column = date, value-columns = [temp]", "date,temp\n"),
        "a header-only file with the columns holds no records");
  }

  @Test
  void tooManyFieldsHaveTheirOwnReasonAndRecordsAreLineNumbers() {
    String csv = "date,v\n2020-01-01,1\n\n2020-01-02,2,extra\n2020-01-03\n2020-01-04,x\n";
    List<DocLine> bad = read("time-column = date, value-columns = [v]", csv).stream().filter(DocLine::bad).toList();
    assertEquals(List.of("extra-field: 3 fields, the header has 2", "missing-column: 1 fields, the header has 2",
        "non-numeric: column 'v' is 'x'"), reasons(bad));
    assertEquals(List.of(4L, 5L, 6L), bad.stream().map(DocLine::recordNo).toList(), "1-based lines, blank line 3 counted");
  }
}
