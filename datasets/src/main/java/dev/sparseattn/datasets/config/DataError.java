package dev.sparseattn.datasets.config;

/**
 * A problem with a job's input or output locations found before or during the work (a missing input
 * path, an output that exists, shards without a manifest). Like {@link ConfigError} its message is
 * meant for the user as-is.
 */
public final class DataError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public DataError(String message) {
    super(message);
  }

  public DataError(String message, Throwable cause) {
    super(message, cause);
  }
}
