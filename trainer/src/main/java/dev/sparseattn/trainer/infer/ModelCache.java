package dev.sparseattn.trainer.infer;

import dev.sparseattn.datasets.shard.FileDigest;
import dev.sparseattn.datasets.tokenize.Tokenizer;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import dev.sparseattn.trainer.runtime.NativeThreads;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * The models of one JVM (an executor, or the driver in local mode), keyed by {@link ModelRef#key()} (path and
 * SHA-256) and the row length read: a model is fetched and loaded once per JVM and length, not per task or record.
 * A network is not thread-safe, so concurrent tasks each borrow a network: the loaded one, or an in-memory copy of it
 * (no second read of the zip) when more tasks run at once than networks exist; a finished task returns its network
 * for the next.
 */
public final class ModelCache {
  private static final Map<String, Entry> MODELS = new HashMap<>();
  private static final AtomicInteger LOADS = new AtomicInteger();

  private ModelCache() {}

  private record Entry(TransformerLM.Loaded loaded, Tokenizer tokenizer, ConcurrentLinkedQueue<MultiLayerNetwork> idle) {}

  /** A borrowed network with its architecture and tokenizer; close it to give the network back. */
  public static final class Lease implements AutoCloseable {
    private final Entry entry;
    private final MultiLayerNetwork net;

    private Lease(Entry entry, MultiLayerNetwork net) {
      this.entry = entry;
      this.net = net;
    }

    public MultiLayerNetwork net() {
      return net;
    }

    public TransformerConfig config() {
      return entry.loaded().config();
    }

    public Tokenizer tokenizer() {
      return entry.tokenizer();
    }

    @Override
    public void close() {
      entry.idle().add(net);
    }
  }

  /** Borrows a network of {@code ref}, loading the model if this JVM has not yet. */
  public static Lease borrow(ModelRef ref) {
    return borrow(ref, ref.config().seqLen());
  }

  /**
   * Borrows a network of {@code ref} that reads rows of {@code length} tokens: the model's own, or, for a longer
   * length, the model built at that length ({@link TransformerLM#atLength}; only a length-free model, as
   * {@link ModelFit} checks before the job).
   */
  public static Lease borrow(ModelRef ref, int length) {
    int seqLen = Math.max(length, ref.config().seqLen());
    Entry entry;
    synchronized (MODELS) {
      entry = MODELS.computeIfAbsent(ref.key() + "@" + seqLen, k -> load(ref, seqLen));
    }
    MultiLayerNetwork net = entry.idle().poll();
    return new Lease(entry, net != null ? net : entry.loaded().network().clone());
  }

  /** How many times this JVM read a model zip (tests: once per model and JVM). */
  public static int loads() {
    return LOADS.get();
  }

  private static Entry load(ModelRef ref, int seqLen) {
    NativeThreads.passiveWait(); // an executor's first ND4J call is the model load below
    Configuration conf = ref.hadoopConfiguration();
    try {
      File local = ModelRef.copyToLocal(new Path(ref.zip()), conf);
      try {
        String sha = FileDigest.sha256(new Path(local.toURI()), conf);
        if (!sha.equals(ref.sha256())) {
          throw new IllegalStateException("model " + ref.zip() + " changed since the job started: SHA-256 " + sha
              + ", expected " + ref.sha256());
        }
        TransformerLM.Loaded loaded = TransformerLM.load(local, false);
        if (seqLen > loaded.config().seqLen()) {
          loaded = TransformerLM.atLength(loaded, seqLen);
        }
        LOADS.incrementAndGet();
        ConcurrentLinkedQueue<MultiLayerNetwork> idle = new ConcurrentLinkedQueue<>();
        idle.add(loaded.network());
        return new Entry(loaded, ref.tokenizer(), idle);
      } finally {
        Files.deleteIfExists(local.toPath());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load model " + ref.zip() + ": " + e.getMessage(), e);
    }
  }
}
