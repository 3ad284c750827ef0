package dev.sparseattn.pipeline.climate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.manifest.Manifest;
import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.datasets.manifest.RecordAccounting;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.datasets.shard.ShardReader;
import dev.sparseattn.datasets.shard.ShardRow;
import dev.sparseattn.datasets.testdata.RealData;
import dev.sparseattn.datasets.tokenize.TimeSeriesTokenizer;
import dev.sparseattn.pipeline.ConfFiles;
import dev.sparseattn.pipeline.PrepareCorpus;
import dev.sparseattn.pipeline.TestSpark;
import dev.sparseattn.pipeline.prepare.PrepareResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CSV time series through the pipeline on Spark local[2]: Seattle weather, Mauna Loa CO2 (fixtures by
 * default, the whole files with the {@code shared-data} tag), bad rows.
 */
class ClimatePipelineTest {
  @TempDir static Path tmp;
  static SparkSession spark;

  @BeforeAll
  static void setUp() {
    spark = TestSpark.start("ClimatePipelineTest");
  }

  @AfterAll
  static void tearDown() {
    TestSpark.stop(spark);
  }

  /** The token stream of a one-chunk, train-only dataset. */
  static int[] stream(PrepareResult r) throws IOException {
    PreparedDataset data = PreparedDataset.open(r.output(), new Configuration());
    int[] stream = new int[(int) data.manifest().streamTokens()];
    int pos = 0;
    for (org.apache.hadoop.fs.Path shard : data.shardPaths(Split.TRAIN)) {
      try (ShardReader reader = data.openShard(shard)) {
        for (ShardRow row; (row = reader.read()) != null; ) {
          for (int j = row.seqId() == 0 ? 0 : 1; j < row.nTokens(); j++) {
            stream[pos++] = row.tokens()[j];
          }
        }
      }
    }
    return stream;
  }

  /**
   * The weather recipe's split with all four of the file's variables, 64-day windows of stride 32 and Chronos' 4,094
   * bins over [-15, 15] (the recipe itself trains on temp_max and temp_min alone, 32-day windows of stride 1 and 512
   * bins; the counts below are worked out for these).
   */
  private static final String[] WINDOWS_64 = {"prepare.csv.value-columns=[precipitation, temp_max, temp_min, wind]",
      "prepare.csv.window=64", "prepare.csv.stride=32", "prepare.seq-len=512",
      "prepare.time-series.bins=4094", "prepare.time-series.low=-15", "prepare.time-series.high=15",
      "prepare.time-series.horizon=32"};

  private static String[] windows64(String... more) {
    String[] all = java.util.Arrays.copyOf(WINDOWS_64, WINDOWS_64.length + more.length);
    System.arraycopy(more, 0, all, WINDOWS_64.length, more.length);
    return all;
  }

  /**
   * The 2012 fixture with the shipped 365-day validation period: training is the first day alone (one
   * window); validation, the other 365 days: 10 full windows of 64 days x 4 variables (stride 32), a last
   * one of 45 days; one EOS each.
   */
  @Test
  void seattleWithTheShippedConfig() throws IOException {
    prepareSeattle(RealData.SEATTLE.fixture(), 366, 12, 1 * 4 + 10 * 256 + 45 * 4 + 12);
  }

  /**
   * 2012-2015, 2015 held out: training 2012-2014 (1,096 days: 33 full windows, a last one of 40 days),
   * validation 2015 (365 days: 10 full windows, a last one of 45 days).
   */
  @Test
  @Tag("shared-data")
  void wholeSeattleSeriesWithTheShippedConfig() throws IOException {
    prepareSeattle(RealData.SEATTLE.shared(), 1461, 45, 33 * 256 + 40 * 4 + 10 * 256 + 45 * 4 + 45);
  }

  private static void prepareSeattle(Path csv, long days, long windows, long streamTokens) throws IOException {
    PrepareResult r = PrepareCorpus.run(ConfFiles.prepare("climate-weather.conf", csv,
        tmp.resolve("seattle-" + days), WINDOWS_64), spark);
    Manifest m = r.manifest();
    assertEquals(new RecordAccounting("row", days, days, 0, 0, Map.of()), m.records());
    assertEquals("csv", m.format());
    assertEquals(windows, m.documents());
    assertTrue(m.splitRule().startsWith("by time: the last 365 steps of every series"), m.splitRule());
    assertEquals(Map.of("name", "time-series", "vocab_size", 4097, "variables", 4),
        Map.of("name", m.tokenizer().get("name"), "vocab_size", m.tokenizer().get("vocab_size"),
            "variables", m.tokenizer().get("variables")));
    assertEquals(streamTokens, m.streamTokens());
    assertEquals(0, m.split(Split.TRAIN).tokenHistogram()[4094] + m.split(Split.VALIDATION).tokenHistogram()[4094],
        "no value is missing in this series");
    assertEquals(windows, spark.read().json(r.output() + "/metadata").count());
    System.out.printf("ClimatePipelineTest: Seattle %d bytes in %.1f s%n", Files.size(csv), r.wallMillis() / 1000.0);
  }

  @Test
  void windowsDecodeToTheCsvValuesWithinHalfABin() throws IOException {
    Path csv = RealData.SEATTLE.fixture();
    PrepareResult r = PrepareCorpus.run(ConfFiles.prepare("climate-weather.conf", csv, tmp.resolve("seattle-all"),
        windows64("prepare.validation-period=0", "prepare.chunk-bytes=64MiB")), spark);
    TimeSeriesTokenizer tok = (TimeSeriesTokenizer) PreparedDataset.open(r.output(), new Configuration()).tokenizer();
    int[] stream = stream(r);
    List<Row> meta = spark.read().json(r.output() + "/metadata").collectAsList().stream()
        .sorted(Comparator.comparingLong(row -> row.getLong(row.fieldIndex("offset")))).toList();
    Row first = meta.get(0).getStruct(meta.get(0).fieldIndex("meta"));
    double[] scales = first.getList(first.fieldIndex("scales")).stream().mapToDouble(x -> (Double) x).toArray();
    assertEquals("2012-01-01T00:00", first.getString(first.fieldIndex("start")));
    double[] values = tok.decodeValues(Arrays.copyOfRange(stream, 0, 256), scales);
    assertEquals(tok.eosId(), stream[256]);
    List<String> rows = Files.readAllLines(csv).subList(1, 65);
    for (int day = 0; day < 64; day++) {
      String[] cells = rows.get(day).split(",");
      for (int v = 0; v < 4; v++) {
        double expected = Double.parseDouble(cells[1 + v]);
        assertEquals(expected, values[day * 4 + v], tok.maxError(scales[v]) + 1e-9, "day " + day + " variable " + v);
      }
    }
  }

  /** The 1958-1967 fixture: 113 months present, 5 missing. */
  @Test
  void co2GapsBecomeMaskTokens() throws IOException {
    assertGapsBecomeMaskTokens(RealData.CO2.fixture(), 113);
  }

  /** 1958-2020: 741 months present. */
  @Test
  @Tag("shared-data")
  void wholeCo2SeriesGapsBecomeMaskTokens() throws IOException {
    assertGapsBecomeMaskTokens(RealData.CO2.shared(), 741);
  }

  private static void assertGapsBecomeMaskTokens(Path csv, long rows) throws IOException {
    List<String> all = Files.readAllLines(csv);
    List<String> lines = all.subList(1, all.size());
    assertEquals(rows, lines.size());
    LocalDate firstMonth = LocalDate.parse(lines.get(0).split(",")[0]);
    LocalDate lastMonth = LocalDate.parse(lines.get(lines.size() - 1).split(",")[0]);
    long months = ChronoUnit.MONTHS.between(firstMonth, lastMonth) + 1;
    long missing = months - lines.size();
    assertTrue(missing > 0, "the CO2 series has gaps");
    PrepareResult r = PrepareCorpus.run(TestSpark.config(csv.toUri().toString(),
        tmp.resolve("co2-" + rows).toUri().toString(), "format = csv", "tokenizer = time-series",
        "csv.time-column = Date", "csv.value-columns = [CO2, \"adjusted CO2\"]", "csv.step = P1M", "csv.window = 48",
        "seq-len = 128", "validation-period = 24", "test-period = 12"), spark);
    Manifest m = r.manifest();
    assertEquals(new RecordAccounting("row", rows, rows, 0, 0, Map.of()), m.records());
    long masks = m.split(Split.TRAIN).tokenHistogram()[4094] + m.split(Split.VALIDATION).tokenHistogram()[4094];
    assertTrue(masks >= 2 * missing, masks + " mask tokens for " + missing + " missing months x 2 variables"
        + " (shared tokens between sequences count twice)");
    assertEquals(2 * months + (months - 36 + 47) / 48 + 2, m.streamTokens(), "every month, present or not, plus"
        + " EOS per window (the 24 months before the last 12 a validation window of their own, the last 12 a test one)");
    assertEquals(1, m.split(Split.VALIDATION).records());
    assertEquals(1, m.split(Split.TEST).records());
    assertEquals(2 * 12 + 1, m.split(Split.TEST).tokens(), "12 months x 2 variables + EOS");
    assertTrue(m.splitRule().contains("the last 12 steps of every series (gap steps included) are test"), m.splitRule());
  }

  @Test
  void badRowsAreQuarantinedWithReasons() throws IOException {
    Path csv = tmp.resolve("bad.csv");
    Files.writeString(csv, dev.sparseattn.datasets.read.CsvSeriesReaderTest.CSV);
    PrepareResult r = PrepareCorpus.run(TestSpark.config(csv.toUri().toString(), tmp.resolve("bad").toUri().toString(),
        "format = csv", "tokenizer = time-series", "csv.time-column = date", "csv.series-column = station",
        "csv.value-columns = [temp, wind]", "csv.step = P1D", "csv.window = 4", "seq-len = 16"), spark);
    RecordAccounting acc = r.manifest().records();
    assertEquals(Map.of("duplicate-timestamp", 1L, "out-of-order", 1L, "non-numeric", 1L, "missing-column", 1L,
        "bad-timestamp", 1L), acc.byReason());
    assertEquals(11, acc.read());
    assertEquals(6, acc.emitted());
    assertEquals(5, spark.read().json(r.output() + "/quarantine").count());
  }
}
