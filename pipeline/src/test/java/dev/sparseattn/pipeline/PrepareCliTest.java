package dev.sparseattn.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.config.Cli;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * (e) User errors through the real entry point ({@code Cli.execute} with {@code PrepareCorpus::run}):
 * one line, exit status 2, the key or path named, no stack trace, and Spark never started.
 */
class PrepareCliTest {
  @TempDir Path tmp;

  private String conf() throws IOException {
    Path f = tmp.resolve("prepare.conf");
    Files.writeString(f, "prepare {\n  input = [\"" + TestCorpus.sample() + "\"]\n  output = \""
        + tmp.resolve("out") + "\"\n}\n");
    return f.toString();
  }

  /** Runs the CLI, checks status 2, one line and no Spark; returns the line. */
  private String fails(String... args) {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream err = new PrintStream(buf, true, StandardCharsets.UTF_8);
    int status = Cli.execute("prepare", args, PrepareConfig::parse, PrepareCorpus::run, err);
    String out = buf.toString(StandardCharsets.UTF_8);
    assertEquals(2, status, out);
    assertTrue(out.endsWith("\n") && out.indexOf('\n') == out.length() - 1, "exactly one line: " + out);
    assertFalse(out.contains("Exception") || out.contains("\tat "), "no stack trace: " + out);
    assertTrue(out.startsWith("prepare: "), out);
    assertFalse(PrepareCorpus.isLive(SparkSession.getActiveSession())
        || PrepareCorpus.isLive(SparkSession.getDefaultSession()), "Spark was started");
    return out.trim();
  }

  private String[] args(String... overrides) throws IOException {
    List<String> a = new ArrayList<>();
    a.add(conf());
    a.addAll(List.of(overrides));
    return a.toArray(String[]::new);
  }

  @AfterEach
  void noOutputWritten() {
    assertFalse(Files.exists(tmp.resolve("out").resolve("manifest.json")));
  }

  @Test
  void unknownKey() throws IOException {
    String line = fails(args("prepare.seqlen=512"));
    assertTrue(line.contains("prepare.seqlen: unknown key") && line.contains("seq-len"), line);
  }

  @Test
  void seqLenZero() throws IOException {
    assertEquals("prepare: configuration error: prepare.seq-len: must be in [8, 65536], got 0",
        fails(args("prepare.seq-len=0")));
  }

  @Test
  void validationFractionTwo() throws IOException {
    String line = fails(args("prepare.validation-fraction=2"));
    assertTrue(line.contains("prepare.validation-fraction: must be in [0.0, 0.5], got 2.0"), line);
  }

  @Test
  void wrongTypes() throws IOException {
    String seqLen = fails(args("prepare.seq-len=long"));
    assertTrue(seqLen.contains("prepare.seq-len: must be an integer, got string \"long\""), seqLen);
    String overwrite = fails(args("prepare.overwrite=sometimes"));
    assertTrue(overwrite.contains("prepare.overwrite: must be true or false"), overwrite);
    String document = fails(args("prepare.document=sentence"));
    assertTrue(document.contains("prepare.document: must be one of [line, file, paragraph, chunk]"), document);
    String input = fails(args("prepare.input=7"));
    assertTrue(input.contains("prepare.input: must be a list of strings"), input);
    String chunk = fails(args("prepare.chunk-bytes=\"4 parsecs\""));
    assertTrue(chunk.contains("prepare.chunk-bytes"), chunk);
  }

  @Test
  void missingConfigFileOrRequiredKey() throws IOException {
    String missing = tmp.resolve("nope.conf").toString();
    String line = fails(missing);
    assertTrue(line.contains(missing) && line.contains("config file not found"), line);
    Path noOutput = tmp.resolve("no-output.conf");
    Files.writeString(noOutput, "prepare { input = [x] }");
    assertTrue(fails(noOutput.toString()).contains("prepare.output: is required but missing"));
  }

  @Test
  void missingInputPath() throws IOException {
    String nope = tmp.resolve("no-such-corpus.txt").toString();
    String line = fails(args("prepare.input=[\"" + nope + "\"]"));
    assertEquals("prepare: input " + nope + " does not exist", line);
    String glob = tmp.resolve("*.nothing").toString();
    assertTrue(fails(args("prepare.input=[\"" + glob + "\"]")).contains("input " + glob + " matches no file"));
    String scheme = fails(args("prepare.input=[\"nosuchfs://host/x\"]"));
    assertTrue(scheme.contains("cannot access input nosuchfs://host/x"), scheme);
  }

  @Test
  void existingOutputIsProtected() throws IOException {
    Files.createDirectories(tmp.resolve("out"));
    String exists = fails(args());
    assertTrue(exists.contains("output " + tmp.resolve("out") + " already exists")
        && exists.contains("prepare.overwrite = true"), exists);

    Files.writeString(tmp.resolve("out/thesis.tex"), "precious");
    String foreign = fails(args("prepare.overwrite=true"));
    assertTrue(foreign.contains("is not a prepared dataset (it contains 'thesis.tex'); refusing"), foreign);
    assertTrue(Files.exists(tmp.resolve("out/thesis.tex")));

    String inside = fails(args("prepare.output=\"" + TestCorpus.sample().getParent() + "\"", "prepare.overwrite=true"));
    assertTrue(inside.contains("is inside output"), inside);
  }
}
