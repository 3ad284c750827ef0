package dev.sparseattn.datasets.config;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * A job's {@code --help}: every key its parser reads ({@link Describe}), with its kind, its default
 * (or "required") and its meaning. Meanings come from the classpath resource
 * {@code help/<section>.properties} of each section the job reads (e.g. {@code help/prepare.properties}
 * with {@code seq-len = ...}, {@code csv.window = ...}), kept beside the parser in its module; tests
 * check that every key read has a meaning and every meaning a key ({@link #undocumented},
 * {@link #stale}).
 */
public final class Help {
  private Help() {}

  /** The help text of job {@code name}. */
  public static String text(String name, Function<Config, ?> parse) {
    StringBuilder b = new StringBuilder();
    b.append("usage: ").append(name).append(" <config-file> [key=value ...]\n")
        .append("  <config-file>: HOCON, a local path or any Hadoop file system URI (hdfs://..., file:///...);\n")
        .append("  key=value: HOCON overrides that win over the file, e.g. ")
        .append("prepare.seq-len=512 or 'prepare.input=[\"a.txt\", \"b.txt\"]'.\n")
        .append("  A file may also hold the sections of the other jobs ").append(JobSections.PROJECT)
        .append("; any other top-level key is an error.\n");
    for (Section s : Describe.sections(parse)) {
      Properties meanings = meanings(s.path());
      b.append('\n').append("keys of section '").append(s.path()).append("':\n");
      for (KeyDoc k : s.keys()) {
        b.append("  ").append(s.key(k.key()))
            .append(k.required() ? " (required)" : " = " + k.dflt())
            .append("    [").append(k.kind()).append("]\n");
        String meaning = meanings.getProperty(k.key());
        b.append("      ").append(meaning == null ? "(no description)" : meaning.strip()).append('\n');
      }
    }
    return b.toString();
  }

  /** The keys the parser reads that have no meaning in their section's help resource (full paths). */
  public static Set<String> undocumented(Function<Config, ?> parse) {
    Set<String> missing = new TreeSet<>();
    for (Section s : Describe.sections(parse)) {
      Properties meanings = meanings(s.path());
      s.keys().stream().filter(k -> meanings.getProperty(k.key()) == null).forEach(k -> missing.add(s.key(k.key())));
    }
    return missing;
  }

  /** Meanings in the help resources of the parser's sections for keys it does not read (full paths). */
  public static Set<String> stale(Function<Config, ?> parse) {
    Set<String> stale = new TreeSet<>();
    for (Section s : Describe.sections(parse)) {
      Set<String> names = new TreeSet<>(meanings(s.path()).stringPropertyNames());
      s.keys().forEach(k -> names.remove(k.key()));
      names.forEach(n -> stale.add(s.key(n)));
    }
    return stale;
  }

  /** The help resource of a section, empty when there is none. */
  static Properties meanings(String section) {
    Properties p = new Properties();
    String name = "help/" + section + ".properties";
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    try (InputStream in = (loader != null ? loader : Help.class.getClassLoader()).getResourceAsStream(name)) {
      if (in != null) {
        p.load(new InputStreamReader(in, StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + name, e);
    }
    return p;
  }

  /** Whether the arguments ask for help. */
  static boolean asked(String[] args) {
    return List.of(args).contains("--help") || List.of(args).contains("-h");
  }
}
