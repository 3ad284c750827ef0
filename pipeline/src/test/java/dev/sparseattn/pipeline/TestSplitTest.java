package dev.sparseattn.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.sparseattn.datasets.config.ConfigError;
import dev.sparseattn.datasets.manifest.Manifest;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.datasets.shard.ShardRow;
import dev.sparseattn.datasets.testdata.RealData;
import dev.sparseattn.datasets.tokenize.ByteTokenizer;
import dev.sparseattn.pipeline.prepare.PrepareResult;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code prepare.test-fraction}: text (and every format split by document) gets a test split drawn by the same
 * hash as validation. On the real KJV fixture (1,000 verses): the three splits hold disjoint sets of whole verses,
 * the test split's share is near the configured one, and the validation split is exactly the one prepared without
 * a test split (the test documents come out of train only).
 */
class TestSplitTest {
  @TempDir static Path tmp;
  static SparkSession spark;

  @BeforeAll
  static void setUp() {
    spark = TestSpark.start("TestSplitTest");
  }

  @AfterAll
  static void tearDown() {
    TestSpark.stop(spark);
  }

  @Test
  void testFractionHoldsOutWholeDocumentsAndKeepsValidation() throws IOException {
    String kjv = RealData.KJV.fixture().toUri().toString();
    PrepareResult with = PrepareCorpus.run(TestSpark.config(kjv, tmp.resolve("with").toUri().toString(),
        "seq-len = 64", "validation-fraction = 0.1", "test-fraction = 0.15", "chunk-bytes = 16 KiB"), spark);
    PrepareResult without = PrepareCorpus.run(TestSpark.config(kjv, tmp.resolve("without").toUri().toString(),
        "seq-len = 64", "validation-fraction = 0.1", "chunk-bytes = 16 KiB"), spark);
    Manifest m = with.manifest();
    Map<Split, Set<String>> verses = new EnumMap<>(Split.class);
    for (Split split : Split.values()) {
      verses.put(split, verses(with.output(), split));
    }
    long records = m.split(Split.TEST).records();
    assertTrue(records > 80 && records < 230, "about 15% of 1,000 verses in test, got " + records);
    assertEquals(records, verses.get(Split.TEST).size(), "test rows hold whole verses");
    for (Split a : Split.values()) {
      for (Split b : Split.values()) {
        if (a.ordinal() < b.ordinal()) {
          Set<String> both = new HashSet<>(verses.get(a));
          both.retainAll(verses.get(b));
          assertEquals(Set.of(), both, a + " and " + b + " share no verse");
        }
      }
    }
    assertEquals(verses(without.output(), Split.VALIDATION), verses.get(Split.VALIDATION),
        "adding a test split leaves validation as it was");
    assertEquals(0, without.manifest().split(Split.TEST).sequences(), "no test rows without test-fraction");
    assertTrue(m.splitRule().contains("test-fraction 0.15"), m.splitRule());
  }

  @Test
  void testFractionIsValidated() {
    assertEquals("prepare.test-fraction: validation-fraction + test-fraction must be at most 0.5, got 0.3 + 0.3",
        error("prepare { input = [x], output = y, validation-fraction = 0.3, test-fraction = 0.3 }"));
    assertTrue(error("prepare { input = [x], output = y, format = csv, csv { time-column = t, value-columns = [v],"
        + " validation-period = 10 }, validation-fraction = 0, test-fraction = 0.1 }")
        .startsWith("prepare.test-fraction: format = csv is split by time"));
  }

  private static String error(String text) {
    return assertThrows(ConfigError.class, () -> PrepareConfig.parse(ConfigFactory.parseString(text).resolve()))
        .getMessage();
  }

  /** The whole verses of a split (rows joined dropping each row's shared first id, cut at EOS). */
  private static Set<String> verses(String dir, Split split) throws IOException {
    Set<String> out = new HashSet<>();
    ByteArrayOutputStream piece = new ByteArrayOutputStream();
    List<ShardRow> rows = TestCorpus.rows(TestCorpus.open(dir, new Configuration()), split);
    for (ShardRow row : rows) {
      for (int j = 1; j < row.nTokens(); j++) {
        int id = row.tokens()[j];
        if (id == ByteTokenizer.EOS) {
          out.add(piece.toString(StandardCharsets.ISO_8859_1));
          piece.reset();
        } else {
          piece.write(id);
        }
      }
    }
    return out;
  }
}
