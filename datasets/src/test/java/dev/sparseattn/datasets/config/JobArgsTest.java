package dev.sparseattn.datasets.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobArgsTest {
  @TempDir Path tmp;

  private String file(String text) throws IOException {
    Path p = tmp.resolve("job.conf");
    Files.writeString(p, text);
    return p.toString();
  }

  @Test
  void overridesWinOverTheFile() throws IOException {
    Config c = JobArgs.load(file("job { n = 1, s = a, t = ${job.s}x }"), "job.n=5", "job.s=\"b c\"");
    assertEquals(5, c.getInt("job.n"));
    assertEquals("b c", c.getString("job.s"));
    assertEquals("b cx", c.getString("job.t"), "substitutions resolve after overrides");
  }

  @Test
  void missingFileIsNamed() {
    String missing = tmp.resolve("nope.conf").toString();
    ConfigError e = assertThrows(ConfigError.class, () -> JobArgs.load(missing));
    assertEquals(missing, e.key());
    assertTrue(e.getMessage().contains("config file not found"), e.getMessage());
    assertEquals("<config-file>", assertThrows(ConfigError.class, JobArgs::load).key());
  }

  @Test
  void malformedOverridesAreNamed() throws IOException {
    String f = file("job { n = 1 }");
    assertEquals("job.n", assertThrows(ConfigError.class, () -> JobArgs.load(f, "job.n")).key());
    assertEquals("job.n", assertThrows(ConfigError.class, () -> JobArgs.load(f, "job.n={")).key());
  }

  private record Job(int n) {
    static Job parse(Config c) {
      Section s = new Section(c, "job");
      Job j = new Job(s.integer("n", 1, 0, 10));
      s.finish();
      return j;
    }
  }

  @Test
  void cliPrintsOneLineAndExitsWithTwoOnUserErrors() throws IOException {
    String f = file("job { n = 1 }");
    AtomicInteger ran = new AtomicInteger();
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream err = new PrintStream(buf, true, StandardCharsets.UTF_8);

    assertEquals(0, Cli.execute("job", new String[] {f}, Job::parse, j -> ran.incrementAndGet(), err));
    assertEquals(1, ran.get());

    assertEquals(2, Cli.execute("job", new String[] {f, "job.n=11"}, Job::parse, j -> ran.incrementAndGet(), err));
    assertEquals(2, Cli.execute("job", new String[] {f}, Job::parse, j -> {
      throw new DataError("input /x does not exist");
    }, err));
    assertEquals(2, Cli.execute("job", new String[] {f}, c -> {
      throw new DataError("checked while parsing: /y");
    }, j -> ran.incrementAndGet(), err));
    assertEquals(1, ran.get(), "the job never runs after a config error");
    String[] lines = buf.toString(StandardCharsets.UTF_8).split("\n");
    assertEquals(3, lines.length, String.join("\n", lines));
    assertEquals("job: configuration error: job.n: must be in [0, 10], got 11", lines[0]);
    assertEquals("job: input /x does not exist", lines[1]);
    assertEquals("job: checked while parsing: /y", lines[2]);

    buf.reset();
    assertEquals(1, Cli.execute("job", new String[] {f}, Job::parse, j -> {
      throw new IllegalStateException("bug");
    }, err));
    assertTrue(buf.toString(StandardCharsets.UTF_8).contains("\tat "), "a bug prints its stack trace");
  }
}
