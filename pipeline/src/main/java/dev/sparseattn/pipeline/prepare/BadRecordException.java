package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.read.DocLine;
import dev.sparseattn.datasets.config.DataError;

/**
 * Thrown by a Spark task in strict mode ({@code prepare.strict = true}) at the first bad record; the
 * driver turns it back into a {@link DataError} with the same message ({@link #unwrap}).
 */
public final class BadRecordException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  static final String PREFIX = "strict mode: bad record in ";

  BadRecordException(String source, DocLine d) {
    super(PREFIX + source + (d.recordNo() >= 0 && d.part() < 0 ? " record " + d.recordNo() : "") + " at offset " + d.offset()
        + ": " + d.reason() + " (set prepare.strict = false to quarantine bad records and go on)");
  }

  /**
   * Runs a Spark action; a strict-mode failure in a task comes out as the DataError it stands for, and
   * Spark's own log lines about it go to DEBUG ({@link StrictModeLogs}).
   */
  static <T> T surfacing(java.util.function.Supplier<T> action) {
    try (StrictModeLogs quiet = StrictModeLogs.install()) {
      return action.get();
    } catch (Exception e) { // SparkException is checked, but Scala throws it undeclared
      DataError user = unwrap(e);
      if (user != null) {
        throw user;
      }
      throw e;
    }
  }

  /**
   * The user-facing error hidden in a failed Spark job: the strict-mode message found in the cause
   * chain (or in a message, when the exception did not survive serialization), else {@code null}.
   */
  static DataError unwrap(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof BadRecordException b) {
        return new DataError(b.getMessage());
      }
      String m = t.getMessage();
      int at = m == null ? -1 : m.indexOf(PREFIX);
      if (at >= 0) {
        int end = m.indexOf('\n', at);
        return new DataError(m.substring(at, end < 0 ? m.length() : end));
      }
    }
    return null;
  }
}
