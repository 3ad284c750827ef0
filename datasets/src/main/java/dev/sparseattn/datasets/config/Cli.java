package dev.sparseattn.datasets.config;

import com.typesafe.config.Config;
import java.io.PrintStream;
import java.util.Set;
import java.util.function.Function;

/**
 * The shared {@code main} of every job: parse {@code <config-file> [key=value ...]} into a typed,
 * validated config, then call the job's {@code run(config)}. Top-level keys are checked first
 * ({@link JobSections}). User errors ({@link ConfigError}, {@link DataError}) print one clear line and
 * exit with status 2; anything else is a bug and prints its stack trace with status 1. {@code --help}
 * (or {@code -h}) prints every key of the job with its kind, default and meaning ({@link Help}) and
 * exits with 0.
 */
public final class Cli {
  private Cli() {}

  /** What a job does with its validated config. */
  @FunctionalInterface
  public interface Job<C> {
    void run(C config) throws Exception;
  }

  /** Runs a job and returns the process exit status (0 ok, 2 user error, 1 failure). */
  public static <C> int execute(String name, String[] args, Function<Config, C> parse, Job<C> job, PrintStream err) {
    return execute(name, args, parse, job, System.out, err);
  }

  /** As above, with help going to {@code out}. */
  public static <C> int execute(String name, String[] args, Function<Config, C> parse, Job<C> job,
      PrintStream out, PrintStream err) {
    try {
      if (Help.asked(args)) {
        out.print(Help.text(name, parse));
        out.flush();
        return 0;
      }
      Config root = JobArgs.load(args);
      Set<String> own = Describe.sectionNames(parse);
      if (own != null) {
        JobSections.check(root, own);
      }
      C config = parse.apply(root);
      job.run(config);
      return 0;
    } catch (ConfigError e) {
      err.println(name + ": configuration error: " + e.getMessage());
      return 2;
    } catch (DataError e) {
      err.println(name + ": " + e.getMessage());
      return 2;
    } catch (Exception e) {
      err.println(name + ": failed: " + e);
      e.printStackTrace(err);
      return 1;
    }
  }

  /** For {@code main}: runs the job and exits the JVM with its status. */
  public static <C> void main(String name, String[] args, Function<Config, C> parse, Job<C> job) {
    int status = execute(name, args, parse, job, System.err);
    System.exit(status);
  }
}
