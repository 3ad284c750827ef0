package dev.sparseattn.datasets.config;

/**
 * A configuration problem found before any work starts. The message always names the offending key
 * (its full path, e.g. {@code train.learning-rate}) and what was expected, so that a job can print it
 * as-is and exit without a stack trace.
 */
public final class ConfigError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The full path of the offending key, or the config file for file-level problems. */
  private final String key;

  public ConfigError(String key, String problem) {
    super(key + ": " + problem);
    this.key = key;
  }

  public String key() {
    return key;
  }
}
