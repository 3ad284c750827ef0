package dev.sparseattn.trainer.distributed;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real Spark standalone cluster on 127.0.0.1 for slow tests and benchmarks: a master and single-core workers, each
 * a separate JVM started from Maven Central's Spark jars (see {@code STACK.md}), plus any other JVM launched with the
 * same environment (a {@code SparkSubmit}). Logs go to {@code <dir>/<name>.log}; {@link #close} kills every process
 * started, with its children (executor JVMs).
 */
public final class StandaloneCluster implements AutoCloseable {
  private final Path dir;
  private final Path sparkHome;
  private final String classpath;
  private final List<Process> started = new ArrayList<>();
  private final List<Process> workers = new ArrayList<>();
  private String master;

  /**
   * @param dir       where logs and worker directories go
   * @param sparkHome the {@code SPARK_HOME} (its {@code jars/} may be empty when the classpath holds Spark)
   * @param classpath the classpath of every JVM started
   */
  public StandaloneCluster(Path dir, Path sparkHome, String classpath) {
    this.dir = dir;
    this.sparkHome = sparkHome;
    this.classpath = classpath;
  }

  /** Starts the master and {@code n} workers of one core and {@code memory} each, and waits until all registered. */
  public StandaloneCluster start(int n, String memory) throws Exception {
    Files.createDirectories(sparkHome.resolve("jars"));
    int port = freePort();
    int ui = freePort();
    master = "spark://127.0.0.1:" + port;
    launch("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", "" + port,
        "--webui-port", "" + ui);
    for (int w = 1; w <= n; w++) {
      workers.add(launch("worker" + w, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
          "--cores", "1", "--memory", memory, "--webui-port", "" + freePort(),
          "--work-dir", workDir(w).toString(), master));
    }
    awaitWorkers(ui, n, Duration.ofSeconds(120));
    return this;
  }

  /** {@code spark://127.0.0.1:<port>}. */
  public String master() {
    return master;
  }

  /** Worker {@code w}'s process (1-based); its executor JVMs are among its descendants. */
  public Process worker(int w) {
    return workers.get(w - 1);
  }

  /** Worker {@code w}'s work directory (1-based). */
  public Path workDir(int w) {
    return dir.resolve("work" + w);
  }

  /** Starts a JVM running {@code mainClass} with the cluster's classpath, environment and Java 17 flags. */
  public Process launch(String name, String mainClass, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString()));
    cmd.addAll(opens());
    cmd.addAll(List.of("-Xmx1g", "-cp", classpath, mainClass));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(dir.resolve(name + ".log").toFile());
    pb.environment().put("SPARK_HOME", sparkHome.toString());
    pb.environment().put("SPARK_SCALA_VERSION", "2.12");
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    Process p = pb.start();
    started.add(p);
    return p;
  }

  /** This JVM's {@code --add-opens} and related flags, which Spark on Java 17 needs in every JVM. */
  public static List<String> opens() {
    return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> a.startsWith("--add-opens") || a.startsWith("-XX:+IgnoreUnrecognizedVMOptions")
            || a.startsWith("-Djdk.reflect")).toList();
  }

  @Override
  public void close() throws InterruptedException {
    for (int i = started.size() - 1; i >= 0; i--) {
      Process p = started.get(i);
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
    }
  }

  private static void awaitWorkers(int uiPort, int workers, Duration timeout) throws Exception {
    HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.ALWAYS).build();
    long deadline = System.nanoTime() + timeout.toNanos();
    String body = "";
    while (System.nanoTime() < deadline) {
      try {
        body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + uiPort + "/json")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
        Object alive = new ObjectMapper().readValue(body, Map.class).get("aliveworkers");
        if (alive instanceof Number n && n.intValue() >= workers) {
          return;
        }
      } catch (IOException e) {
        // master not up yet
      }
      Thread.sleep(1000);
    }
    throw new AssertionError("standalone master did not report " + workers + " alive workers: " + body);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
