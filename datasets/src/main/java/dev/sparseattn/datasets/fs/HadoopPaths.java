package dev.sparseattn.datasets.fs;

import java.nio.file.Paths;
import java.util.regex.Pattern;

/**
 * How configured locations become Hadoop paths: a URI with a scheme ({@code hdfs://nn/x},
 * {@code file:/x}) is kept; an absolute path without a scheme ({@code /data/x}) is kept and so lives
 * on the default file system ({@code fs.defaultFS}); a relative path is a local file relative to the
 * working directory ({@code data/x} becomes {@code file:/<cwd>/data/x}). Glob characters are kept.
 */
public final class HadoopPaths {
  private HadoopPaths() {}

  private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:");

  /** The Hadoop path string for a configured location. */
  public static String resolve(String location) {
    String p = location.trim();
    if (SCHEME.matcher(p).find() || p.startsWith("/")) {
      return p;
    }
    return "file:" + Paths.get("").toAbsolutePath().resolve(p).normalize();
  }
}
