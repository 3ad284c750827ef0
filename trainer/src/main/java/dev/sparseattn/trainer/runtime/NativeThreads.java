package dev.sparseattn.trainer.runtime;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes idle OpenMP threads sleep instead of spin ({@code OMP_WAIT_POLICY=PASSIVE}) in this process, before ND4J's
 * native library (and the libgomp it links, shared with the bundled OpenBLAS) is loaded.
 *
 * <p>Why: libgomp's default lets a thread that leaves a parallel region spin for a while before it sleeps. ND4J opens
 * a parallel region per array operation, and a training step or a decode step is thousands of small operations, so
 * on a machine with few cores the spinning threads take the CPU from the threads with work (and from every other
 * thread team: each Java thread calling into ND4J gets its own). Measured on 2 cores (README, "Native threads"): the
 * quickstart training step 0.71 s by default, 0.49 s with {@code PASSIVE}; PyTorch 1.13, which links libgomp too, goes
 * from about 11,000 to 21,000 training tokens/s on the same shape.
 *
 * <p>libgomp reads its environment once, when it is loaded, so the variable is set with the C library's
 * {@code setenv} (Java cannot change its own environment) and only if the user set neither {@code OMP_WAIT_POLICY}
 * nor {@code GOMP_SPINCOUNT}. If libgomp is already loaded, nothing can be changed any more: a warning says so and how
 * to set it in the environment instead. Spark executors in separate JVMs get the variable through
 * {@code spark.executorEnv.OMP_WAIT_POLICY} ({@link #SPARK_EXECUTOR_ENV}).
 */
public final class NativeThreads {
  private static final Logger LOG = LoggerFactory.getLogger(NativeThreads.class);

  /** The Spark setting that carries the policy to executor JVMs, and its value. */
  public static final Map.Entry<String, String> SPARK_EXECUTOR_ENV =
      Map.entry("spark.executorEnv.OMP_WAIT_POLICY", "PASSIVE");

  /** What {@link #passiveWait()} found or did. */
  public enum Outcome {
    /** {@code OMP_WAIT_POLICY=PASSIVE} set in this process before libgomp was loaded. */
    SET,
    /** The user's own {@code OMP_WAIT_POLICY} or {@code GOMP_SPINCOUNT} is kept. */
    USER_SETTING,
    /** libgomp was loaded already: its policy can no longer change. */
    TOO_LATE,
    /** Not Linux, or the C library could not be called. */
    UNAVAILABLE
  }

  private static Outcome outcome;

  private NativeThreads() {}

  /** The C library's {@code setenv(3)} and {@code getenv(3)}. */
  interface CLibrary extends Library {
    int setenv(String name, String value, int overwrite);

    String getenv(String name);
  }

  /**
   * Sets {@code OMP_WAIT_POLICY=PASSIVE} for this process unless the user chose a policy, or says why not. Call it
   * first thing in a {@code main} (or before the first ND4J call on an executor); later calls return the first
   * outcome.
   */
  public static synchronized Outcome passiveWait() {
    if (outcome == null) {
      outcome = decide();
    }
    return outcome;
  }

  private static Outcome decide() {
    if (System.getenv("OMP_WAIT_POLICY") != null || System.getenv("GOMP_SPINCOUNT") != null) {
      return Outcome.USER_SETTING;
    }
    if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
      return Outcome.UNAVAILABLE;
    }
    if (libgompLoaded()) {
      LOG.warn("OpenMP (libgomp) is already loaded in this process, so its idle threads keep spinning; on a machine "
          + "with few cores that costs up to a third of the speed: set OMP_WAIT_POLICY=PASSIVE in the environment");
      return Outcome.TOO_LATE;
    }
    try {
      CLibrary c = Native.loadLibrary("c", CLibrary.class);
      if (c.setenv("OMP_WAIT_POLICY", "PASSIVE", 0) != 0 || !"PASSIVE".equals(c.getenv("OMP_WAIT_POLICY"))) {
        return Outcome.UNAVAILABLE;
      }
      LOG.debug("OMP_WAIT_POLICY=PASSIVE set for this process (idle OpenMP threads sleep instead of spinning)");
      return Outcome.SET;
    } catch (LinkageError | RuntimeException e) {
      LOG.warn("could not set OMP_WAIT_POLICY=PASSIVE in this process ({}); set it in the environment", e.toString());
      return Outcome.UNAVAILABLE;
    }
  }

  /** Whether a libgomp is mapped into this process (Linux: {@code /proc/self/maps}). */
  static boolean libgompLoaded() {
    try {
      return Files.readString(Path.of("/proc/self/maps")).contains("libgomp");
    } catch (IOException e) {
      return false;
    }
  }
}
