package dev.sparseattn.trainer.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparseattn.trainer.train.TinyDataset;
import java.io.File;
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
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job through {@code org.apache.spark.deploy.SparkSubmit} (what {@code bin/spark-submit} runs) against a
 * real standalone master and two workers on 127.0.0.1, started from Maven Central's Spark jars: the training
 * runs in separate executor JVMs on both workers and validation loss falls; with one executor JVM killed
 * ({@code kill -9}) mid-run the job still completes with every checkpoint; with the driver killed, the same
 * command again resumes from the last checkpoint.
 *
 * <p>Needs the application jar ({@code mvn -pl trainer package -DskipTests}) and Spark's jars listed in a
 * classpath file, as {@code .ci/run} writes it: {@code mvn -pl pipeline dependency:build-classpath
 * -DincludeScope=provided -DexcludeGroupIds=dev.sparseattn -Dmdep.outputFile=target/spark.classpath}
 * (path overridable with {@code -Dspark.classpath.file=...}).
 */
@Tag("slow")
class StandaloneClusterTest {
  @TempDir Path tmp;
  private final List<Process> started = new ArrayList<>();

  @Test
  void trainsOnAStandaloneClusterThroughSparkSubmit() throws Exception {
    Path root = Paths.get(System.getProperty("project.root.dir", "..")).toAbsolutePath();
    Path appJar;
    try (Stream<Path> s = Files.list(root.resolve("trainer/target"))) {
      appJar = s.filter(p -> p.getFileName().toString().matches("sparseattn-trainer-.*-app\\.jar")).findFirst()
          .orElseThrow(() -> new AssertionError("no trainer/target/sparseattn-trainer-*-app.jar: run mvn -pl trainer package -DskipTests"));
    }
    Path classpath = Paths.get(System.getProperty("spark.classpath.file", root.resolve("target/spark.classpath").toString()));
    assertTrue(Files.exists(classpath), "no " + classpath + ": see this class's javadoc");
    Path sparkHome = tmp.resolve("spark-home");
    Files.createDirectories(sparkHome.resolve("jars"));
    for (String jar : Files.readString(classpath).trim().split(File.pathSeparator)) {
      Path j = Paths.get(jar);
      Files.createSymbolicLink(sparkHome.resolve("jars").resolve(j.getFileName()), j);
    }
    List<String> opens = ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> a.startsWith("--add-opens") || a.startsWith("-XX:+IgnoreUnrecognizedVMOptions")
            || a.startsWith("-Djdk.reflect")).toList();
    String cp = sparkHome.resolve("jars") + File.separator + "*";
    int port = freePort();
    int ui = freePort();
    String master = "spark://127.0.0.1:" + port;

    try {
      start(sparkHome, opens, cp, "master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
          "--port", "" + port, "--webui-port", "" + ui);
      for (int w = 1; w <= 2; w++) {
        start(sparkHome, opens, cp, "worker" + w, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
            "--cores", "1", "--memory", "1536m", "--webui-port", "" + freePort(),
            "--work-dir", tmp.resolve("work" + w).toString(), master);
      }
      awaitWorkers(ui, 2, Duration.ofSeconds(120));

      Path data = tmp.resolve("data");
      TinyDataset.write(data, SparkTestSupport.sampleLines(300), 32, 10, 64);

      // 1. a plain run: training in separate executor JVMs on both workers, validation loss falls
      Path out = tmp.resolve("model");
      assertEquals(0, submitAndWait(sparkHome, opens, cp, master, appJar, jobConf(data, out, "plain"), "plain", null));
      double[] v = validation(out);
      System.out.printf("standalone cluster: validation %.3f -> %.3f bits/token%n", v[0], v[1]);
      assertTrue(v[1] < v[0] - 0.3, "validation loss did not fall: " + v[0] + " -> " + v[1]);
      for (int w = 1; w <= 2; w++) {
        try (Stream<Path> s = Files.walk(tmp.resolve("work" + w))) {
          assertTrue(s.anyMatch(p -> p.getFileName().toString().equals("stderr")), "no executor ran on worker " + w);
        }
      }
      assertTrue(Files.exists(out.resolve("checkpoints/step-000000040/model.zip")));

      // 2. kill -9 one executor JVM after the first checkpoint: the task is retried, the job completes, and the
      //    checkpoints are all there
      Path killed = tmp.resolve("executor-killed");
      int status = submitAndWait(sparkHome, opens, cp, master, appJar, jobConf(data, killed, "executor"), "executor",
          () -> {
            awaitFile(killed.resolve("checkpoints/step-000000010"));
            ProcessHandle executor = started.get(1).descendants()
                .filter(h -> h.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend"))
                .findFirst().orElseThrow(() -> new AssertionError("no executor JVM under worker 1"));
            System.out.println("standalone cluster: killing executor pid " + executor.pid());
            executor.destroyForcibly();
          });
      assertEquals(0, status, "the job did not survive the executor's death");
      assertTrue(Files.exists(killed.resolve("checkpoints/step-000000030/model.zip")));
      assertTrue(Files.exists(killed.resolve("checkpoints/step-000000040/model.zip")));
      double[] vk = validation(killed);
      System.out.printf("standalone cluster, executor killed: final validation %.6f (uninterrupted %.6f)%n", vk[1], v[1]);
      // the retried task recomputes the same local steps from the same broadcast state and data position
      assertEquals(v[1], vk[1], 1e-6, "final validation differs from the uninterrupted run");

      // 3. kill the driver after the step-20 checkpoint; the same command again resumes from it and finishes
      Path driver = tmp.resolve("driver-killed");
      Path conf = jobConf(data, driver, "driver");
      Process first = submit(sparkHome, opens, cp, master, appJar, conf, "driver-1");
      awaitFile(driver.resolve("checkpoints/step-000000020"));
      first.descendants().forEach(ProcessHandle::destroyForcibly);
      first.destroyForcibly().waitFor(60, TimeUnit.SECONDS);
      assertEquals(0, submitAndWait(sparkHome, opens, cp, master, appJar, conf, "driver-2", null));
      String log = Files.readString(tmp.resolve("driver-2.log"));
      assertTrue(log.contains("resuming from") && (log.contains("(step 20)") || log.contains("(step 30)")), log);
      assertTrue(Files.exists(driver.resolve("checkpoints/step-000000040/model.zip")));
      // (the interrupted driver's own metrics lines may be lost: Hadoop's file:// streams buffer past flush())
      double[] vd = validation(driver);
      System.out.printf("standalone cluster, driver killed and resumed: final validation %.6f (uninterrupted %.6f)%n",
          vd[1], v[1]);
      assertEquals(v[1], vd[1], 1e-6, "the resumed run's final validation differs from the uninterrupted run");
    } finally {
      for (int i = started.size() - 1; i >= 0; i--) {
        Process p = started.get(i);
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  private Path jobConf(Path data, Path out, String name) throws IOException {
    Path conf = tmp.resolve(name + ".conf");
    Files.writeString(conf, String.join("\n",
        "train { data = \"" + data.toUri() + "\", output = \"" + out.toUri() + "\", resume = true",
        "  model { d-model = 32, heads = 2, layers = 1 }",
        "  batch-size = 8, steps = 40, eval-every = 5, eval-sequences = 64, log-every = 10",
        "  optim { learning-rate = 0.01, warmup-steps = 5 }",
        "  checkpoint { every = 10, keep = 2 } }",
        "distributed { workers = 2, averaging-frequency = 5 }", ""));
    return conf;
  }

  private Process submit(Path sparkHome, List<String> opens, String cp, String master, Path appJar, Path conf,
                         String name) throws IOException {
    return start(sparkHome, opens, cp, name, "org.apache.spark.deploy.SparkSubmit",
        "--master", master, "--deploy-mode", "client", "--class", DistributedTrain.class.getName(),
        "--driver-memory", "1g", "--executor-memory", "1g", "--total-executor-cores", "2",
        "--conf", "spark.driver.host=127.0.0.1", appJar.toString(), conf.toString());
  }

  /** Submits, runs {@code during} (if any) while the job runs, waits for the job and returns its exit status. */
  private int submitAndWait(Path sparkHome, List<String> opens, String cp, String master, Path appJar, Path conf,
                            String name, Runnable during) throws Exception {
    Process p = submit(sparkHome, opens, cp, master, appJar, conf, name);
    if (during != null) {
      during.run();
    }
    assertTrue(p.waitFor(10, TimeUnit.MINUTES), "spark-submit " + name + " did not finish in 10 minutes");
    if (p.exitValue() != 0) {
      System.out.println(Files.readString(tmp.resolve(name + ".log")));
    }
    return p.exitValue();
  }

  /** First and last validation bits per token of a run's metrics. */
  private static double[] validation(Path out) throws IOException {
    List<Double> bits = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
      Map<?, ?> m = json.readValue(line, Map.class);
      if ("validation".equals(m.get("event"))) {
        bits.add(((Number) m.get("bits_per_token")).doubleValue());
      }
    }
    return new double[] {bits.get(0), bits.get(bits.size() - 1)};
  }

  private static void awaitFile(Path file) {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (!Files.exists(file)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no " + file + " after 5 minutes");
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  private Process start(Path sparkHome, List<String> opens, String cp, String name, String mainClass,
                        String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString()));
    cmd.addAll(opens);
    cmd.addAll(List.of("-Xmx1g", "-cp", cp, mainClass));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(tmp.resolve(name + ".log").toFile());
    pb.environment().put("SPARK_HOME", sparkHome.toString());
    pb.environment().put("SPARK_SCALA_VERSION", "2.12");
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
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
