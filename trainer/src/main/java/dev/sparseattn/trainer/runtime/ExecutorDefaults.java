package dev.sparseattn.trainer.runtime;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The settings the Spark jobs give executor JVMs unless the user set them: the passive OpenMP wait policy
 * ({@link NativeThreads#SPARK_EXECUTOR_ENV}) and, when the driver's JVM has it, the JDK's Vector API module for the
 * SIMD softmax ({@code model.ops.Softmax}), which must be named when a JVM starts. The module is added to the user's
 * own {@code spark.executor.extraJavaOptions} rather than replacing them, and not at all when the driver's JVM lacks
 * it (an executor started with an unknown module would not start; executors run the driver's Java as a rule, and a
 * JVM without the module falls back to libnd4j's softmax). Spark-free: the caller looks its settings up.
 */
public final class ExecutorDefaults {

  /** The Java option that makes {@code jdk.incubator.vector} available. */
  public static final String VECTOR_MODULE_OPTION = "--add-modules=jdk.incubator.vector";
  static final String JAVA_OPTIONS = "spark.executor.extraJavaOptions";

  private ExecutorDefaults() {}

  /** For this JVM: the settings to add, given how the user's configuration answers for a key. */
  public static Map<String, String> forSpark(Function<String, Optional<String>> given) {
    return forSpark(given, ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent());
  }

  static Map<String, String> forSpark(Function<String, Optional<String>> given, boolean vectorModuleHere) {
    Map<String, String> add = new LinkedHashMap<>();
    if (given.apply(NativeThreads.SPARK_EXECUTOR_ENV.getKey()).isEmpty()) {
      add.put(NativeThreads.SPARK_EXECUTOR_ENV.getKey(), NativeThreads.SPARK_EXECUTOR_ENV.getValue());
    }
    Optional<String> options = given.apply(JAVA_OPTIONS).map(String::strip).filter(s -> !s.isEmpty());
    if (vectorModuleHere && !options.orElse("").contains("jdk.incubator.vector")) {
      add.put(JAVA_OPTIONS, options.map(s -> s + " ").orElse("") + VECTOR_MODULE_OPTION);
    }
    return add;
  }
}
