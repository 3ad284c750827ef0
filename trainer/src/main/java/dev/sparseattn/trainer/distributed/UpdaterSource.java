package dev.sparseattn.trainer.distributed;

/**
 * Where a worker's updater state (Adam's moments) comes from at the start of a round. Between two
 * synchronisations each worker keeps its own state in its replica on the executor; the replica records
 * the global step its state belongs to (within the run, per worker index: see {@link Replicas}), and a
 * round starting at step s may use it only if it is the state at step s. Anything else (the executor
 * was lost, the task was rescheduled onto another executor or retried after a failure part-way through
 * a round, which invalidates the state first) is detected here, never silently used.
 */
enum UpdaterSource {
  /** The last synchronised (averaged) state, as every worker does after a synchronisation. */
  SYNCED,
  /** The replica's own state, left by this worker's previous round. */
  LOCAL,
  /**
   * The replica holds no state for this step: the worker falls back to the last synchronised state,
   * counted in the round's {@code state_fallbacks} metric and logged as a warning.
   */
  FALLBACK;

  /** No state held (a new replica, or one whose round did not complete). */
  static final long NONE = -1;

  /**
   * @param loadSynced whether the round starts from the synchronised state anyway
   * @param heldAt the step the replica's state belongs to, {@link #NONE} if none
   * @param roundStart the step the round starts at
   */
  static UpdaterSource choose(boolean loadSynced, long heldAt, long roundStart) {
    if (loadSynced) {
      return SYNCED;
    }
    return heldAt == roundStart ? LOCAL : FALLBACK;
  }
}
