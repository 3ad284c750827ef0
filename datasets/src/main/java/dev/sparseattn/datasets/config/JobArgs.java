package dev.sparseattn.datasets.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import java.io.File;
import java.util.List;

/**
 * Command-line arguments of every job: {@code <config-file> [key=value ...]}. The file is HOCON
 * (Typesafe Config, as Spark and Akka users know it); each override is a HOCON assignment such as
 * {@code train.steps=200} and wins over the file. Substitutions are resolved after the overrides.
 */
public final class JobArgs {
  private JobArgs() {}

  /** Parses the arguments into one resolved configuration, failing with a {@link ConfigError}. */
  public static Config load(String... args) {
    if (args.length == 0) {
      throw new ConfigError("<config-file>", "missing: usage is <config-file> [key=value ...]");
    }
    File file = new File(args[0]);
    if (!file.isFile()) {
      throw new ConfigError(args[0], "config file not found (working directory "
          + new File("").getAbsolutePath() + ")");
    }
    Config fromFile;
    try {
      fromFile = ConfigFactory.parseFile(file, ConfigParseOptions.defaults().setAllowMissing(false));
    } catch (ConfigException e) {
      throw new ConfigError(args[0], "cannot parse: " + e.getMessage());
    }
    Config overrides = parseOverrides(List.of(args).subList(1, args.length));
    try {
      return overrides.withFallback(fromFile).resolve();
    } catch (ConfigException e) {
      throw new ConfigError(args[0], "cannot resolve: " + e.getMessage());
    }
  }

  /** Parses {@code key=value} overrides; values are HOCON, so quotes are needed only for odd strings. */
  public static Config parseOverrides(List<String> assignments) {
    Config result = ConfigFactory.empty();
    for (String assignment : assignments) {
      int eq = assignment.indexOf('=');
      if (eq <= 0) {
        throw new ConfigError(assignment, "an override must look like key=value");
      }
      try {
        result = ConfigFactory.parseString(assignment).withFallback(result);
      } catch (ConfigException e) {
        throw new ConfigError(assignment.substring(0, eq).trim(), "cannot parse override '"
            + assignment + "': " + e.getMessage());
      }
    }
    return result;
  }
}
