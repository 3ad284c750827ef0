package dev.sparseattn.trainer.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ExecutorDefaultsTest {

  private static Map<String, String> given(Map<String, String> user, boolean moduleHere) {
    return ExecutorDefaults.forSpark(key -> Optional.ofNullable(user.get(key)), moduleHere);
  }

  @Test
  void nothingSetGivesThePolicyAndTheModule() {
    assertEquals(Map.of("spark.executorEnv.OMP_WAIT_POLICY", "PASSIVE",
        "spark.executor.extraJavaOptions", "--add-modules=jdk.incubator.vector"), given(Map.of(), true));
  }

  @Test
  void theUsersOwnJavaOptionsAreKeptAndTheModuleAppended() {
    assertEquals(Map.of("spark.executor.extraJavaOptions", "-Xss4m -XX:+UseG1GC --add-modules=jdk.incubator.vector"),
        given(Map.of("spark.executorEnv.OMP_WAIT_POLICY", "ACTIVE",
            "spark.executor.extraJavaOptions", " -Xss4m -XX:+UseG1GC "), true));
  }

  @Test
  void aModuleTheUserNamedOrThisJvmLacksIsNotAdded() {
    assertEquals(Map.of(), given(Map.of("spark.executorEnv.OMP_WAIT_POLICY", "PASSIVE",
        "spark.executor.extraJavaOptions", "--add-modules jdk.incubator.vector"), true));
    assertEquals(Map.of("spark.executorEnv.OMP_WAIT_POLICY", "PASSIVE"), given(Map.of(), false));
  }

  @Test
  void theseTestJvmsHaveTheModule() {
    // surefire starts them with java17.opens, as CI's spark-submit smoke test and the quickstart are started
    assertEquals("--add-modules=jdk.incubator.vector",
        ExecutorDefaults.forSpark(key -> Optional.empty()).get("spark.executor.extraJavaOptions"));
  }
}
