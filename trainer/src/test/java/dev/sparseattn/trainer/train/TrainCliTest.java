package dev.sparseattn.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.config.Cli;
import dev.sparseattn.trainer.sample.Sample;
import dev.sparseattn.trainer.sample.SampleConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad configurations and missing inputs fail with one clear line naming the key or path. */
class TrainCliTest {
  @TempDir Path tmp;

  private String run(String conf, String... overrides) throws IOException {
    Path file = tmp.resolve("job.conf");
    Files.writeString(file, conf);
    String[] args = new String[overrides.length + 1];
    args[0] = file.toString();
    System.arraycopy(overrides, 0, args, 1, overrides.length);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Cli.execute("train", args, TrainConfig::parse, c -> {
      throw new AssertionError("must not run");
    }, new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(2, status);
    String message = err.toString(StandardCharsets.UTF_8);
    assertFalse(message.contains("\tat "), "no stack trace: " + message);
    return message;
  }

  private static final String OK = "train { data = \"/nowhere\", output = \"/tmp/x\" }\n";

  @Test
  void unknownKeyIsNamed() throws IOException {
    String m = run(OK, "train.modle.layers=2");
    assertTrue(m.contains("train.modle"), m);
  }

  @Test
  void wrongTypeIsNamed() throws IOException {
    String m = run(OK, "train.steps=many");
    assertTrue(m.contains("train.steps") && m.contains("integer"), m);
  }

  @Test
  void outOfRangeIsNamed() throws IOException {
    assertTrue(run(OK, "train.optim.learning-rate=-1").contains("train.optim.learning-rate"));
    assertTrue(run(OK, "train.batch-size=0").contains("train.batch-size"));
  }

  @Test
  void headsMustDivideWidth() throws IOException {
    String m = run(OK, "train.model.d-model=100", "train.model.heads=3");
    assertTrue(m.contains("train.model.heads"), m);
  }

  @Test
  void missingRequiredKeyIsNamed() throws IOException {
    String m = run("train { output = \"/tmp/x\" }\n");
    assertTrue(m.contains("train.data") && m.contains("missing"), m);
  }

  @Test
  void missingDataDirectoryIsAClearError() throws IOException {
    Path file = tmp.resolve("job.conf");
    Files.writeString(file, "train { data = \"" + tmp.resolve("absent") + "\", output = \"" + tmp.resolve("o") + "\" }\n");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Cli.execute("train", new String[] {file.toString()}, TrainConfig::parse, Train::run,
        new PrintStream(err, true, StandardCharsets.UTF_8));
    String m = err.toString(StandardCharsets.UTF_8);
    assertEquals(2, status, m);
    assertTrue(m.contains("absent"), m);
    assertFalse(m.contains("\tat "), m);
  }

  @Test
  void missingModelDirectoryIsAClearError() throws IOException {
    Path file = tmp.resolve("sample.conf");
    Files.writeString(file, "sample { model = \"" + tmp.resolve("nomodel") + "\", prompt = \"x\" }\n");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Cli.execute("sample", new String[] {file.toString()}, SampleConfig::parse,
        c -> Sample.run(c), new PrintStream(err, true, StandardCharsets.UTF_8));
    String m = err.toString(StandardCharsets.UTF_8);
    assertEquals(2, status, m);
    assertTrue(m.contains("nomodel") && m.contains("train job"), m);
  }
}
