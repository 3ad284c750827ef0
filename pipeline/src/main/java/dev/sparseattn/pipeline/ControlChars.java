package dev.sparseattn.pipeline;

/**
 * What happens to C0 control characters in text records (config key {@code prepare.control-chars}):
 * backspace, bell, DEL and the other C0 bytes except tab, LF, CR, form feed, vertical tab and ESC.
 * Real text has some (fortune files underline with backspaces: {@code _\bW}); binary files have many.
 * A NUL byte always marks a record as binary.
 */
public enum ControlChars {
  /** More than 5% of a record's bytes being control characters makes it binary: quarantined. */
  QUARANTINE,
  /** Remove the control characters and emit the rest (counted as repaired). */
  STRIP,
  /** Emit the bytes unchanged; control characters never make a record binary. */
  KEEP
}
