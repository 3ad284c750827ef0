package dev.sparseattn.pipeline.prepare;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Filter;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.filter.AbstractFilter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * In strict mode the first bad record fails its Spark task on purpose, and Spark logs that failure
 * with stack traces (the executor's "Exception in task", the scheduler's "Lost task" and "aborting
 * job") before the job prints its one clear line ({@link BadRecordException#unwrap}). While a Spark
 * action runs, this log4j2 filter on the root logger configuration (Spark's logging back end) turns
 * those events into DEBUG lines of this class, traces included, and lets every other event through.
 * In local mode that covers the executors too; on a cluster their logs stay on the executors.
 */
final class StrictModeLogs extends AbstractFilter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StrictModeLogs.class);

  private final LoggerConfig root;
  private volatile boolean seen;

  private StrictModeLogs(LoggerConfig root) {
    super(Filter.Result.NEUTRAL, Filter.Result.NEUTRAL);
    this.root = root;
  }

  /** Installs the filter; {@link #close()} removes it. Without log4j2 as the back end it does nothing. */
  static StrictModeLogs install() {
    if (!(LogManager.getContext(false) instanceof LoggerContext ctx)) {
      return new StrictModeLogs(null);
    }
    StrictModeLogs filter = new StrictModeLogs(ctx.getConfiguration().getRootLogger());
    filter.start();
    filter.root.addFilter(filter);
    return filter;
  }

  @Override
  public void close() {
    if (root != null) {
      root.removeFilter(this);
      stop();
    }
  }

  @Override
  public Result filter(LogEvent event) {
    if (event.getLoggerName().equals(LOG.getName())) {
      return Result.NEUTRAL;
    }
    String message = event.getMessage() == null ? "" : event.getMessage().getFormattedMessage();
    boolean strict = message.contains(BadRecordException.PREFIX) || strictCause(event.getThrown());
    boolean abort = seen && message.contains("aborting job");
    if (!strict && !abort) {
      return Result.NEUTRAL;
    }
    seen = true;
    LOG.debug("{} {}: {}", event.getLevel(), event.getLoggerName(), message, event.getThrown());
    return Result.DENY;
  }

  private static boolean strictCause(Throwable t) {
    for (; t != null; t = t.getCause()) {
      if (t instanceof BadRecordException || t.getMessage() != null && t.getMessage().contains(BadRecordException.PREFIX)) {
        return true;
      }
    }
    return false;
  }
}
