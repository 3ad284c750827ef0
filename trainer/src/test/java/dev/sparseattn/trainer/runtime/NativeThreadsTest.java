package dev.sparseattn.trainer.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link NativeThreads} in fresh JVMs (libgomp reads its environment once per process), checked through what libgomp
 * itself reports with {@code OMP_DISPLAY_ENV=VERBOSE}: {@code GOMP_SPINCOUNT = '0'} is the passive policy in effect,
 * {@code '300000'} libgomp's spinning default.
 */
class NativeThreadsTest {

  private record Run(String stdout, String stderr) {}

  private static Run probe(String when, Map<String, String> env) throws IOException, InterruptedException {
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    ProcessBuilder pb = new ProcessBuilder(new File(System.getProperty("java.home"), "bin/java").getPath(),
        "-cp", classpath, NativeThreadsProbe.class.getName(), when);
    pb.environment().remove("OMP_WAIT_POLICY");
    pb.environment().remove("GOMP_SPINCOUNT");
    pb.environment().put("OMP_DISPLAY_ENV", "VERBOSE");
    pb.environment().putAll(env);
    File out = File.createTempFile("probe", ".out");
    File err = File.createTempFile("probe", ".err");
    try {
      Process p = pb.redirectOutput(out).redirectError(err).start();
      assertEquals(0, p.waitFor(), () -> "probe failed: " + read(err));
      return new Run(read(out), read(err));
    } finally {
      out.delete();
      err.delete();
    }
  }

  private static String read(File f) {
    try {
      return java.nio.file.Files.readString(f.toPath(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return e.toString();
    }
  }

  @Test
  void setsThePassivePolicyBeforeNd4jLoads() throws Exception {
    Run run = probe("before", Map.of());
    assertTrue(run.stdout().contains("outcome SET sum 262144.0"), run.stdout());
    assertTrue(run.stderr().contains("GOMP_SPINCOUNT = '0'"), run.stderr());
  }

  @Test
  void keepsTheUsersOwnPolicy() throws Exception {
    Run run = probe("before", Map.of("OMP_WAIT_POLICY", "ACTIVE"));
    assertTrue(run.stdout().contains("outcome USER_SETTING"), run.stdout());
    assertTrue(run.stderr().contains("OMP_WAIT_POLICY = 'ACTIVE'"), run.stderr());
  }

  @Test
  void saysSoWhenOpenMpIsAlreadyLoaded() throws Exception {
    Run run = probe("after", Map.of());
    assertTrue(run.stdout().contains("outcome TOO_LATE"), run.stdout());
    assertTrue(run.stderr().contains("GOMP_SPINCOUNT = '300000'"), run.stderr());
  }
}
