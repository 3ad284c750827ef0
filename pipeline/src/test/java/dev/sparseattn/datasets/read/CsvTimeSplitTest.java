package dev.sparseattn.datasets.read;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import dev.sparseattn.datasets.config.ConfigError;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.datasets.testdata.RealData;
import dev.sparseattn.datasets.tokenize.TimeSeriesTokenizer;
import dev.sparseattn.pipeline.PrepareConfig;
import dev.sparseattn.datasets.read.DocLine;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Time series are split by time: the last period of every series is validation, in windows of its own. */
class CsvTimeSplitTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static PrepareConfig config(String keys) {
    return PrepareConfig.parse(ConfigFactory.parseString("prepare { input = [x], output = y, format = csv,"
        + " tokenizer = time-series, csv { time-column = date, value-columns = [precipitation, temp_max, temp_min,"
        + " wind], step = P1D, window = 64, stride = 32 }, " + keys + " }"));
  }

  private static List<DocLine> read(PrepareConfig c, String content) {
    return Units.read(new CsvSeriesReader(c.formats().csv(), new TimeSeriesTokenizer(c.tokenizerOptions().timeSeries())),
        content);
  }

  /**
   * The real 2012 Seattle fixture (366 days, 64-day windows with stride 32, overlapping): with the last
   * 100 days held out, no training window holds a validation day (as input or target: a window is all
   * of its values), every day is in some window, and each window's values are its days' values.
   */
  @Test
  void noValidationDayInAnyTrainingWindowOnRealData() throws IOException {
    String csv = Files.readString(RealData.SEATTLE.fixture(), StandardCharsets.ISO_8859_1);
    List<String> rows = csv.lines().skip(1).filter(l -> !l.isBlank()).toList();
    Map<LocalDate, List<Double>> valuesOfDay = new HashMap<>();
    for (String row : rows) {
      String[] f = row.split(",");
      valuesOfDay.put(LocalDate.parse(f[0]), List.of(f[1], f[2], f[3], f[4]).stream().map(Double::valueOf).toList());
    }
    LocalDate firstHeldOut = LocalDate.parse(rows.get(rows.size() - 100).split(",")[0]);
    Map<Split, List<LocalDate>> days = Map.of(Split.TRAIN, new ArrayList<>(), Split.VALIDATION, new ArrayList<>());
    long records = 0;
    for (DocLine d : read(config("validation-period = 100"), csv)) {
      assertFalse(d.bad(), d::reason);
      records += d.records();
      JsonNode meta = JSON.readTree(d.meta());
      assertEquals(d.split().id(), meta.get("split").asText());
      LocalDate start = LocalDate.parse(meta.get("start").asText().substring(0, 10));
      int steps = meta.get("steps").asInt();
      String[] values = Units.text(d).split(" ");
      for (int i = 0; i < steps; i++) {
        LocalDate day = start.plusDays(i);
        days.get(d.split()).add(day);
        assertEquals(d.split() == Split.VALIDATION, !day.isBefore(firstHeldOut), d.split() + " window holds " + day);
        List<Double> inWindow = List.of(values).subList(4 * i, 4 * i + 4).stream().map(Double::valueOf).toList();
        assertEquals(valuesOfDay.get(day), inWindow, "values of " + day);
      }
    }
    assertEquals(366, records, "every row accounted once");
    assertEquals(266, days.get(Split.TRAIN).stream().distinct().count());
    assertEquals(100, days.get(Split.VALIDATION).stream().distinct().count());
    assertTrue(days.get(Split.TRAIN).stream().noneMatch(days.get(Split.VALIDATION)::contains));
  }

  /** Each series has its own held-out end; gap steps count as steps. */
  @Test
  void everySeriesEndsInValidation() {
    String csv = """
        date,station,precipitation,temp_max,temp_min,wind
        2020-01-01,A,1,1,1,1
        2020-01-02,A,2,2,2,2
        2020-01-04,A,4,4,4,4
        2020-01-05,A,5,5,5,5
        2020-01-01,B,1,1,1,1
        2020-01-02,B,2,2,2,2
        """;
    List<DocLine> docs = read(config("csv.series-column = station, validation-period = 2"), csv);
    List<String> got = docs.stream().map(d -> d.split() + ":" + Units.text(d)).toList();
    assertEquals(List.of("train:1.0 1.0 1.0 1.0 2.0 2.0 2.0 2.0 NaN NaN NaN NaN", "validation:4.0 4.0 4.0 4.0 5.0 5.0 5.0 5.0",
        "validation:1.0 1.0 1.0 1.0 2.0 2.0 2.0 2.0"), got);
  }

  /** A test period after the validation period: the last steps are test, the ones before validation. */
  @Test
  void aTestPeriodFollowsTheValidationPeriod() {
    String csv = "date,precipitation,temp_max,temp_min,wind\n2020-01-01,1,1,1,1\n2020-01-02,2,2,2,2\n"
        + "2020-01-03,3,3,3,3\n2020-01-04,4,4,4,4\n2020-01-05,5,5,5,5\n";
    List<DocLine> docs = read(config("validation-period = 2, test-period = 1"), csv);
    assertEquals(List.of("train:1.0 1.0 1.0 1.0 2.0 2.0 2.0 2.0", "validation:3.0 3.0 3.0 3.0 4.0 4.0 4.0 4.0",
        "test:5.0 5.0 5.0 5.0"), docs.stream().map(d -> d.split() + ":" + Units.text(d)).toList());
  }

  @Test
  void validationFractionIsRefusedForTimeSeries() {
    ConfigError e = org.junit.jupiter.api.Assertions.assertThrows(ConfigError.class,
        () -> config("validation-fraction = 0.1"));
    assertTrue(e.getMessage().startsWith("prepare.validation-fraction: format = csv is split by time"), e.getMessage());
    ConfigError other = org.junit.jupiter.api.Assertions.assertThrows(ConfigError.class,
        () -> PrepareConfig.parse(ConfigFactory.parseString("prepare { input = [x], output = y, validation-period = 5 }")));
    assertTrue(other.getMessage().startsWith("prepare.validation-period: applies to format = csv only"),
        other.getMessage());
  }
}
