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
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Conventions every job shares through {@link Cli}: top-level sections, {@code --help}, config files on Hadoop. */
class JobConventionsTest {
  @TempDir Path tmp;

  enum Kind { SMALL, LARGE_ONE }

  /** A job with a required key, a checked default, a nested section and a list of sections. */
  private record Job(int n, String name) {
    static Job parse(Config c) {
      Section s = new Section(c, "job");
      int n = s.integer("n", 3, 1, 10);
      String name = s.string("name");
      s.check(!name.isBlank(), "name", "must not be blank");
      s.section("inner").bool("on", false);
      s.sections("parts").forEach(p -> p.choice("kind", Kind.class, Kind.SMALL));
      s.finish();
      return new Job(n, name);
    }
  }

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private final AtomicInteger ran = new AtomicInteger();

  private int run(String... args) {
    return Cli.execute("job", args, Job::parse, j -> ran.incrementAndGet(),
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String file(String text) throws IOException {
    Path p = tmp.resolve("job.conf");
    Files.writeString(p, text);
    return p.toString();
  }

  @Test
  void misspelledSectionStopsTheJob() throws IOException {
    String f = file("job { name = a }\n");
    assertEquals(2, run(f, "jobb.n=5"));
    String m = err.toString(StandardCharsets.UTF_8).trim();
    assertEquals("job: configuration error: jobb: unknown top-level section (did you mean 'job'?);"
        + " the jobs read [distributed, embed, evaluate, job, prepare, sample, score, serve, stream, train]", m);
    assertEquals(0, ran.get());

    err.reset();
    assertEquals(2, run(file("job { name = a }\nprepar { seq-len = 64 }\n")));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("prepar: unknown top-level section (did you mean 'prepare'?)"),
        err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void sectionsOfTheOtherJobsAreAccepted() throws IOException {
    String f = file("job { name = a }\nprepare { seq-len = 64 }\ntrain { steps = 1 }\nsample { x = 1 }\n"
        + "distributed { workers = 2 }\n");
    assertEquals(0, run(f), err.toString(StandardCharsets.UTF_8));
    assertEquals(1, ran.get());
  }

  @Test
  void describeModeListsEveryKeyWithKindAndDefault() {
    List<Section> sections = Describe.sections(Job::parse);
    assertEquals(1, sections.size());
    assertEquals(List.of(
        new KeyDoc("n", "integer in [1, 10]", "3", false),
        new KeyDoc("name", "string", null, true),
        new KeyDoc("inner.on", "true | false", "false", false),
        new KeyDoc("parts[].kind", "small | large-one", "small", false),
        new KeyDoc("parts", "list of sections [{ ... }]", "[]", false)).stream()
            .sorted(java.util.Comparator.comparing(KeyDoc::key)).toList(),
        sections.get(0).keys().stream().sorted(java.util.Comparator.comparing(KeyDoc::key)).toList());
    assertEquals(Set.of("job"), Describe.sectionNames(Job::parse));
  }

  @Test
  void helpListsKeysDefaultsAndMeaningsAndExitsZero() {
    assertEquals(0, run("--help"));
    assertEquals(0, ran.get());
    String help = out.toString(StandardCharsets.UTF_8);
    assertTrue(help.startsWith("usage: job <config-file> [key=value ...]"), help);
    assertTrue(help.contains("  job.n = 3    [integer in [1, 10]]\n      how many\n"), help);
    assertTrue(help.contains("  job.name (required)    [string]\n      what it is called\n"), help);
    assertTrue(help.contains("  job.parts[].kind = small    [small | large-one]\n      the kind of one part\n"), help);
    assertTrue(help.contains("  job.parts = []    [list of sections [{ ... }]]\n      (no description)\n"), help);
    assertEquals(Set.of("job.parts"), Help.undocumented(Job::parse));
    assertEquals(Set.of(), Help.stale(Job::parse));
    out.reset();
    assertEquals(0, run("some.conf", "-h"), "help wins over a config file that does not exist");
  }

  @Test
  void configFileFromAFileUri() throws IOException {
    String f = file("job { name = \"from a uri\" }\n");
    Config c = JobArgs.load(Path.of(f).toUri().toString(), "job.n=4");
    assertEquals("from a uri", c.getString("job.name"));
    assertEquals(4, c.getInt("job.n"));
    String missing = tmp.resolve("absent.conf").toUri().toString();
    ConfigError e = assertThrows(ConfigError.class, () -> JobArgs.load(missing));
    assertEquals(missing, e.key());
    assertTrue(e.getMessage().contains("config file not found"), e.getMessage());
    Files.writeString(tmp.resolve("bad.conf"), "job { name = ");
    String bad = tmp.resolve("bad.conf").toUri().toString();
    assertTrue(assertThrows(ConfigError.class, () -> JobArgs.load(bad)).getMessage().contains("cannot parse"));
  }
}
