package dev.sparseattn.pipeline;

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
import org.apache.spark.sql.SparkSession;

/**
 * A real Spark standalone cluster on 127.0.0.1 for slow tests and benchmarks (this module's and, through
 * its test-jar, the trainer's): a master and single-core workers, each a separate JVM started from a
 * given classpath (Maven Central's Spark jars, see {@code STACK.md}; Spark's launch scripts are not
 * needed), plus any other JVM launched with the same environment (a {@code SparkSubmit}). Logs go to
 * {@code <dir>/<name>.log}, the executors' shuffle and spill files under {@code <dir>/local}; {@link #close}
 * kills every process started, with its children (executor JVMs). Workers can be confined to a core of
 * their own ({@code taskset -c k}, inherited by their executors), as a single-core machine would confine them.
 */
public final class StandaloneCluster implements AutoCloseable {
  static final String TASKSET = "/usr/bin/taskset";

  private final Path dir;
  private final Path sparkHome;
  private final String classpath;
  private final List<Process> started = new ArrayList<>();
  private final List<Process> workers = new ArrayList<>();
  private String master;
  private boolean pinned;

  /**
   * @param dir       where logs, worker directories and executors' local files go
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
    return start(n, memory, false);
  }

  /**
   * As {@link #start(int, String)}, with worker {@code w} confined to core {@code w - 1} when {@code pin}
   * is asked and possible ({@code taskset} present, at least {@code n} cores).
   */
  public StandaloneCluster start(int n, String memory, boolean pin) throws Exception {
    Files.createDirectories(sparkHome.resolve("jars"));
    pinned = pin && Runtime.getRuntime().availableProcessors() >= n && Files.isExecutable(Paths.get(TASKSET));
    int port = freePort();
    int ui = freePort();
    master = "spark://127.0.0.1:" + port;
    launch("master", -1, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", "" + port,
        "--webui-port", "" + ui);
    for (int w = 1; w <= n; w++) {
      workers.add(launch("worker" + w, pinned ? w - 1 : -1, "org.apache.spark.deploy.worker.Worker", "--host",
          "127.0.0.1", "--cores", "1", "--memory", memory, "--webui-port", "" + freePort(),
          "--work-dir", workDir(w).toString(), master));
    }
    awaitWorkers(ui, n, Duration.ofSeconds(120));
    return this;
  }

  /** {@code spark://127.0.0.1:<port>}. */
  public String master() {
    return master;
  }

  /** Whether the workers are confined to cores 0, 1, ... */
  public boolean pinned() {
    return pinned;
  }

  /** Worker {@code w}'s process (1-based); its executor JVMs are among its descendants. */
  public Process worker(int w) {
    return workers.get(w - 1);
  }

  /** Worker {@code w}'s work directory (1-based). */
  public Path workDir(int w) {
    return dir.resolve("work" + w);
  }

  /**
   * A session builder for this cluster: {@code cores} single-core executors of {@code executorMemory},
   * the Java 17 flags and this JVM's classpath on the executors, no UI, the driver on 127.0.0.1.
   */
  public SparkSession.Builder session(String app, int cores, String executorMemory) {
    return SparkSession.builder().master(master).appName(app)
        .config("spark.cores.max", "" + cores).config("spark.executor.cores", "1")
        .config("spark.executor.memory", executorMemory).config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.executor.extraJavaOptions", String.join(" ", opens()))
        .config("spark.executor.extraClassPath", System.getProperty("java.class.path"));
  }

  /** Waits (up to 3 minutes) until {@code executors} executors have registered with {@code spark}'s driver. */
  public static void awaitExecutors(SparkSession spark, int executors) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (spark.sparkContext().getExecutorMemoryStatus().size() < executors + 1) { // executors + the driver
      if (System.nanoTime() > deadline) {
        throw new AssertionError("executors did not register: " + spark.sparkContext().getExecutorMemoryStatus());
      }
      Thread.sleep(500);
    }
  }

  /** The running executor processes (the workers' children). */
  public List<ProcessHandle> executors() {
    return workers.stream().flatMap(Process::descendants).toList();
  }

  /** Every process started but the executors: the master, the workers and any other launched JVM. */
  public List<ProcessHandle> daemons() {
    return started.stream().map(Process::toHandle).toList();
  }

  /** Starts a JVM running {@code mainClass} with the cluster's classpath, environment and Java 17 flags. */
  public Process launch(String name, String mainClass, String... args) throws IOException {
    return launch(name, -1, mainClass, args);
  }

  /** This JVM's {@code --add-opens} and related flags, which Spark on Java 17 needs in every JVM. */
  public static List<String> opens() {
    return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> a.startsWith("--add-opens") || a.startsWith("-XX:+IgnoreUnrecognizedVMOptions")
            || a.startsWith("-Djdk.reflect")).toList();
  }

  /** CPU seconds a process has used so far, 0 where the system does not tell. */
  public static double cpuSeconds(ProcessHandle p) {
    return p.info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(0.0);
  }

  /** A line of {@code /proc/<pid>/status} in kB (VmRSS: resident now, VmHWM: peak resident), 0 where there is none. */
  public static long statusKb(long pid, String key) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith(key)) {
          return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
        }
      }
    } catch (IOException | RuntimeException e) {
      return 0;
    }
    return 0;
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

  private Process launch(String name, int core, String mainClass, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    if (core >= 0) {
      cmd.addAll(List.of(TASKSET, "-c", "" + core)); // exec'd: the same process, its children inherit the core
    }
    cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(opens());
    cmd.addAll(List.of("-Xmx1g", "-cp", classpath, mainClass));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(dir.resolve(name + ".log").toFile());
    pb.environment().put("SPARK_HOME", sparkHome.toString());
    pb.environment().put("SPARK_SCALA_VERSION", "2.12");
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    // executors' shuffle and spill files inside dir, deleted with it (workers are killed, not stopped)
    pb.environment().put("SPARK_LOCAL_DIRS", Files.createDirectories(dir.resolve("local")).toString());
    Process p = pb.start();
    started.add(p);
    return p;
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
