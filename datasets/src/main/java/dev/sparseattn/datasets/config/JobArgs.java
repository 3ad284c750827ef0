package dev.sparseattn.datasets.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Command-line arguments of every job: {@code <config-file> [key=value ...]}. The file is HOCON
 * (Typesafe Config, as Spark and Akka users know it); each override is a HOCON assignment such as
 * {@code train.steps=200} and wins over the file. Substitutions are resolved after the overrides.
 *
 * <p>The file may be on any Hadoop file system, like the data: a location with a scheme
 * ({@code hdfs://nn/jobs/job.conf}, {@code file:///etc/job.conf}, {@code s3a://...}) is read through
 * Hadoop ({@link HadoopConf#beforeSpark()}); a plain path is a local file (relative to the working
 * directory), where HOCON {@code include}s relative to the file also work.
 */
public final class JobArgs {
  private JobArgs() {}

  /** Parses the arguments into one resolved configuration, failing with a {@link ConfigError}. */
  public static Config load(String... args) {
    if (args.length == 0) {
      throw new ConfigError("<config-file>", "missing: usage is <config-file> [key=value ...]");
    }
    Config fromFile = SCHEME.matcher(args[0]).find() ? parseHadoop(args[0]) : parseLocal(args[0]);
    Config overrides = parseOverrides(List.of(args).subList(1, args.length));
    try {
      return overrides.withFallback(fromFile).resolve();
    } catch (ConfigException e) {
      throw new ConfigError(args[0], "cannot resolve: " + e.getMessage());
    }
  }

  private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]+:");

  private static Config parseLocal(String location) {
    File file = new File(location);
    if (!file.isFile()) {
      throw new ConfigError(location, "config file not found (working directory "
          + new File("").getAbsolutePath() + ")");
    }
    try {
      return ConfigFactory.parseFile(file, ConfigParseOptions.defaults().setAllowMissing(false));
    } catch (ConfigException e) {
      throw new ConfigError(location, "cannot parse: " + e.getMessage());
    }
  }

  private static Config parseHadoop(String location) {
    String text;
    try {
      Path path = new Path(location);
      FileSystem fs = path.getFileSystem(HadoopConf.beforeSpark());
      if (!fs.isFile(path)) {
        throw new ConfigError(location, "config file not found");
      }
      try (InputStream in = fs.open(path)) {
        text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof ConfigError c) {
        throw c;
      }
      throw new ConfigError(location, "cannot read config file: " + e);
    }
    try {
      return ConfigFactory.parseString(text, ConfigParseOptions.defaults().setOriginDescription(location));
    } catch (ConfigException e) {
      throw new ConfigError(location, "cannot parse: " + e.getMessage());
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
