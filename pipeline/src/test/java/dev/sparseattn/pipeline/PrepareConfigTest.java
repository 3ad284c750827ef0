package dev.sparseattn.pipeline;

import dev.sparseattn.datasets.read.TimeStep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrepareConfigTest {
  private static PrepareConfig parse(String text) {
    return PrepareConfig.parse(ConfigFactory.parseString(text).resolve());
  }

  @Test
  void defaults() {
    PrepareConfig c = parse("prepare { input = [\"hdfs://nn:8020/corpus/*.gz\"], output = \"/data/kjv\" }");
    assertEquals(List.of("hdfs://nn:8020/corpus/*.gz"), c.input(), "URIs are kept");
    assertEquals("/data/kjv", c.output(), "absolute paths stay on the default file system");
    assertEquals(TokenizerChoice.BYTE, c.tokenizer());
    assertEquals(DocumentMode.LINE, c.document());
    assertEquals(256, c.seqLen());
    assertEquals(0.05, c.validationFraction());
    assertEquals(4L << 20, c.chunkBytes());
    assertEquals(4096, c.rowsPerShard());
    assertFalse(c.overwrite());
    assertEquals(new PrepareConfig.SparkOptions("local[*]", "sparseattn-prepare"), c.spark());
    Map<String, Object> resolved = c.resolved().values();
    assertEquals(256, resolved.get("seq-len"));
    assertEquals(Map.of("master", "local[*]", "app-name", "sparseattn-prepare"), resolved.get("spark"));
    assertTrue(c.resolved().render().startsWith("prepare {"), c.resolved().render());
  }

  @Test
  void relativePathsAreLocalFilesUnderTheWorkingDirectory() {
    PrepareConfig c = parse("prepare { input = [\"data/x.txt.gz\", \"../y/*.txt\"], output = \"work/out\","
        + " document = file, chunk-bytes = \"64 KiB\", spark { master = \"local[2]\" } }");
    Path cwd = Path.of("").toAbsolutePath();
    assertEquals("file:" + cwd.resolve("data/x.txt.gz"), c.input().get(0));
    assertEquals("file:" + cwd.getParent().resolve("y/*.txt"), c.input().get(1), "normalized, glob kept");
    assertEquals("file:" + cwd.resolve("work/out"), c.output());
    assertEquals(DocumentMode.FILE, c.document());
    assertEquals(64 << 10, c.chunkBytes());
    assertEquals("local[2]", c.spark().master());
    assertEquals("work/out", c.resolved().values().get("output"), "prepare.conf records what was configured");
  }

  private static String error(String text) {
    return org.junit.jupiter.api.Assertions.assertThrows(dev.sparseattn.datasets.config.ConfigError.class,
        () -> parse(text)).getMessage();
  }

  @Test
  void formatAndTokenizerSectionsAreTypedAndChecked() {
    PrepareConfig c = parse("prepare { input = [x], output = y, format = fasta, tokenizer = nucleotide,"
        + " nucleotide { k = 6, overlapping = true, ambiguous = split, reverse-complement = true },"
        + " fasta { window = 4096, stride = 2048 }, strict = true, invalid-utf8 = replace }");
    assertEquals(InputFormat.FASTA, c.format());
    assertEquals(new FormatOptions.Fasta(4096, 2048), c.formats().fasta());
    assertEquals("NucleotideTokenizer(Options[k=6, overlapping=true, ambiguous=SPLIT, caseFold=true], vocab=4103)",
        c.createTokenizer().toString());
    assertTrue(c.tokenizerOptions().reverseComplement());
    assertEquals(new PrepareConfig.RecordPolicy(true, InvalidUtf8.REPLACE), c.records());
    assertTrue(c.segmentIds());

    assertEquals("prepare.fasta.stride: must not exceed fasta.window (100), got 200",
        error("prepare { input = [x], output = y, fasta { window = 100, stride = 200 } }"));
    assertEquals("prepare.nucleotide.case-fold: must be true for k-mers (k = 3)",
        error("prepare { input = [x], output = y, nucleotide { k = 3, case-fold = false } }"));
    assertEquals("prepare.csv.time-column: is required for format = csv",
        error("prepare { input = [x], output = y, format = csv, csv { value-columns = [a] } }"));
    assertEquals("prepare.csv.step: must be an ISO-8601 period or duration such as P1D, P1M or PT1H, got '1 day'",
        error("prepare { input = [x], output = y, csv { step = \"1 day\" } }"));
    assertTrue(error("prepare { input = [x], output = y, format = orc }")
        .startsWith("prepare.format: must be one of [text, jsonl, fasta, fastq, csv, parquet]"));
    assertEquals("prepare.bpe.vocab-size: must be in [258, 1000000], got 100",
        error("prepare { input = [x], output = y, tokenizer = bpe, bpe { vocab-size = 100 } }"));
  }

  @Test
  void csvSectionSetsTheTimeSeriesVariables() {
    PrepareConfig c = parse("prepare { input = [x], output = y, format = csv, tokenizer = time-series,"
        + " csv { time-column = date, value-columns = [a, b, c], categorical-columns = [w], categorical = ids,"
        + " categories = [rain, sun], step = P1M } }");
    assertEquals(4, c.tokenizerOptions().timeSeries().variables(), "3 values + 1 categorical id, interleaved");
    assertEquals(java.time.Period.ofMonths(1), TimeStep.parse(c.formats().csv().step()).period());
    PrepareConfig separate = parse("prepare { input = [x], output = y, format = csv, tokenizer = time-series,"
        + " csv { time-column = date, value-columns = [a, b, c], layout = separate } }");
    assertEquals(1, separate.tokenizerOptions().timeSeries().variables(), "one variable per document");
  }
}
