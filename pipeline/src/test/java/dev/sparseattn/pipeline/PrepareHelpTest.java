package dev.sparseattn.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.config.Cli;
import dev.sparseattn.datasets.config.Help;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@code PrepareCorpus --help}: every key the parser reads is listed with its default and a meaning. */
class PrepareHelpTest {
  @Test
  void everyKeyHasAMeaningAndEveryMeaningAKey() {
    assertEquals(Set.of(), Help.undocumented(PrepareConfig::parse), "keys without a line in help/prepare.properties");
    assertEquals(Set.of(), Help.stale(PrepareConfig::parse), "lines of help/prepare.properties for keys not read");
  }

  @Test
  void helpExitsZeroWithKeysAndDefaults() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Cli.execute("prepare", new String[] {"--help"}, PrepareConfig::parse, c -> {
      throw new AssertionError("must not run");
    }, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    String help = out.toString(StandardCharsets.UTF_8);
    assertEquals(0, status, err.toString(StandardCharsets.UTF_8));
    assertEquals("", err.toString(StandardCharsets.UTF_8));
    assertTrue(help.contains("  prepare.input (required)    [list of strings]\n"), help);
    assertTrue(help.contains("  prepare.seq-len = 256    [integer in [8, 65536]]\n"), help);
    assertTrue(help.contains("  prepare.csv.window = 64    [integer in [1, 65536]]\n"), help);
    assertTrue(help.contains("  prepare.document = line    [line | file | paragraph | chunk]\n"), help);
    assertTrue(!help.contains("(no description)"), help);
  }
}
