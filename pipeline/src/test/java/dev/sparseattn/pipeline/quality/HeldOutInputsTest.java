package dev.sparseattn.pipeline.quality;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.config.DataError;
import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.datasets.manifest.RecordAccounting;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.datasets.shard.ShardReader;
import dev.sparseattn.datasets.shard.ShardRow;
import dev.sparseattn.pipeline.PrepareCorpus;
import dev.sparseattn.pipeline.TestSpark;
import dev.sparseattn.pipeline.prepare.PrepareResult;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The prepare job on inputs it first got wrong: text with control characters (fortune files underline
 * with backspaces) under each {@code control-chars} policy, empty lines, a binary file with a trailing
 * newline, a header-only CSV lacking its columns, and strict mode's log output.
 */
class HeldOutInputsTest {
  /** A fortune-style file: a backspace-underlined line, a bell, empty lines. */
  static final String FORTUNE = "_\bH_\bi there\n\nplain line\n\n\nring\u0007 the bell once in a long enough line\n";

  @TempDir static Path tmp;
  static SparkSession spark;
  static Path fortune;

  @BeforeAll
  static void setUp() throws IOException {
    spark = TestSpark.start("HeldOutInputsTest");
    fortune = tmp.resolve("fortune.txt");
    Files.writeString(fortune, FORTUNE);
  }

  @AfterAll
  static void tearDown() {
    TestSpark.stop(spark);
  }

  private static PrepareResult prepare(Path input, String name, String... keys) {
    List<String> all = new ArrayList<>(List.of("seq-len = 65536", "validation-fraction = 0"));
    all.addAll(List.of(keys));
    try {
      return PrepareCorpus.run(TestSpark.config(input.toUri().toString(), tmp.resolve("out/" + name).toUri().toString(),
          all.toArray(String[]::new)), spark);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The train split's documents, in order (one row per chunk with this seq-len). */
  private static List<String> documents(PrepareResult r) throws IOException {
    PreparedDataset data = PreparedDataset.open(r.output(), new Configuration());
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    for (org.apache.hadoop.fs.Path shard : data.shardPaths(Split.TRAIN)) {
      try (ShardReader reader = data.openShard(shard)) {
        for (ShardRow row; (row = reader.read()) != null; ) {
          for (int j = 0; j < row.nTokens(); j++) {
            stream.write(row.tokens()[j] == 257 ? '\n' : row.tokens()[j]);
          }
        }
      }
    }
    String s = stream.toString(StandardCharsets.UTF_8);
    return List.of(s.substring(0, s.length() - 1).split("\n", -1));
  }

  @Test
  void controlCharactersQuarantinedByDefaultAndEmptyLinesSkipped() throws IOException {
    PrepareResult r = prepare(fortune, "default");
    RecordAccounting acc = r.manifest().records();
    assertEquals(Map.of("binary", 1L, "empty", 3L), acc.byReason(), "the bell line is under 5% controls");
    assertEquals(List.of("plain line", "ring\u0007 the bell once in a long enough line"), documents(r), "no EOS-only documents");
    assertEquals(2, r.manifest().documents());
    assertEquals(acc.read(), acc.emitted() + acc.quarantined());
    assertTrue(acc.consistent());
  }

  @Test
  void controlCharactersKept() throws IOException {
    PrepareResult r = prepare(fortune, "keep", "control-chars = keep");
    assertEquals(List.of("_\bH_\bi there", "plain line", "ring\u0007 the bell once in a long enough line"), documents(r));
    assertEquals(Map.of("empty", 3L), r.manifest().records().byReason());
    assertEquals(0, r.manifest().records().repaired());
  }

  @Test
  void controlCharactersStripped() throws IOException {
    PrepareResult r = prepare(fortune, "strip", "control-chars = strip");
    assertEquals(List.of("_H_i there", "plain line", "ring the bell once in a long enough line"), documents(r));
    assertEquals(2, r.manifest().records().repaired());
    assertEquals(6, r.manifest().records().read());
  }

  @Test
  void aBinaryFileWithATrailingEmptyLineHoldsNoDocuments() throws IOException {
    Path binary = tmp.resolve("binary.dat");
    byte[] b = new byte[200];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) (i % 9 == 0 ? 1 : 0x80 + i % 64);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(b);
    out.writeBytes("\n\n".getBytes(StandardCharsets.US_ASCII));
    Files.write(binary, out.toByteArray());
    DataError e = assertThrows(DataError.class, () -> prepare(binary, "binary"));
    assertTrue(e.getMessage().startsWith("the inputs hold no documents: 2 record(s) read, 2 quarantined"
        + " {binary=1, empty=1}"), e.getMessage());
  }

  @Test
  void headerOnlyCsvNamesTheMissingColumns() throws IOException {
    Path csv = tmp.resolve("header-only.csv");
    Files.writeString(csv, "date,temperature\n");
    DataError e = assertThrows(DataError.class, () -> prepare(csv, "csv", "format = csv", "tokenizer = time-series",
        "csv { time-column = date, value-columns = [temp, wind] }"));
    assertTrue(e.getMessage().contains("1 record(s) read, 1 quarantined {missing-column=1}")
        && e.getMessage().contains("missing-column: not in the header: temp, wind (the file has no rows)"), e.getMessage());
  }

  @Test
  void splitAmbiguousBasesAreCounted() throws IOException {
    Path fasta = tmp.resolve("n.fa");
    Files.writeString(fasta, ">r1\nACGTNNNACG\nNRYACGT\n");
    PrepareResult r = prepare(fasta, "split", "format = fasta", "tokenizer = nucleotide",
        "nucleotide { ambiguous = split }");
    assertEquals(6, r.droppedBases());
    assertTrue(r.summary().contains("  dropped     6 ambiguous base(s)"), r.summary());
    assertEquals(11 + 2 + 1, r.manifest().streamTokens(), "11 bases kept, EOS between the 3 pieces and at the end");
  }

  @Test
  void strictModePrintsItsMessageWithoutSparkTraces() throws IOException {
    Path dir = tmp.resolve("strict");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("a.txt"), "good\nbad \u0000 line\n");
    List<LogEvent> events = Collections.synchronizedList(new ArrayList<>());
    AbstractAppender capture = new AbstractAppender("capture", null, null, true, Property.EMPTY_ARRAY) {
      @Override
      public void append(LogEvent event) {
        events.add(event.toImmutable());
      }
    };
    capture.start();
    LoggerConfig root = ((LoggerContext) LogManager.getContext(false)).getConfiguration().getRootLogger();
    root.addAppender(capture, Level.WARN, null);
    DataError e;
    try {
      e = assertThrows(DataError.class, () -> prepare(dir, "strict", "strict = true"));
    } finally {
      root.removeAppender("capture");
      capture.stop();
    }
    assertTrue(e.getMessage().startsWith("strict mode: bad record in file:"), e.getMessage());
    for (LogEvent event : events) {
      String m = event.getMessage().getFormattedMessage();
      assertFalse(event.getThrown() != null || m.contains("strict mode") || m.contains("aborting job"),
          "Spark logged the strict failure: " + event.getLevel() + " " + event.getLoggerName() + ": " + m);
    }
  }
}
