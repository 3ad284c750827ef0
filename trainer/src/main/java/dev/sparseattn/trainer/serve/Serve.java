package dev.sparseattn.trainer.serve;

import dev.sparseattn.datasets.config.Cli;
import dev.sparseattn.trainer.runtime.NativeThreads;
import java.util.concurrent.CountDownLatch;

/**
 * The {@code serve} job: an HTTP server answering generation and scoring requests with a model saved by the train
 * job ({@link ServeServer}), decoding concurrent requests together ({@link Scheduler}).
 *
 * <p>Usage: {@code Serve <config-file> [key=value ...]}, e.g. {@code Serve conf/quickstart.conf serve.port=8080}.
 */
public final class Serve {
  private Serve() {}

  public static void main(String[] args) {
    NativeThreads.passiveWait();
    Cli.main("serve", args, ServeConfig::parse, Serve::run);
  }

  /** Loads the model, starts the server, prints its address and serves until the process is stopped. */
  public static void run(ServeConfig config) throws Exception {
    ServedModel model = ServedModel.load(config.model());
    ServeServer server = ServeServer.start(config, model);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }, "serve-stop"));
    System.out.println("serve: listening on http://" + config.host() + ":" + server.port() + "/ (model "
        + config.model() + ", " + config.maxConcurrent() + " slots)");
    System.out.flush();
    stopped.await();
  }
}
