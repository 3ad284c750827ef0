package dev.sparseattn.trainer.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sparseattn.datasets.config.DataError;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import dev.sparseattn.trainer.model.TransformerLM;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * Training checkpoints in a directory of any Hadoop file system (local, HDFS, S3A), written
 * atomically: a checkpoint is assembled in a hidden temporary directory and renamed to
 * {@code step-<n>} only when complete, so a crash never leaves a half checkpoint that {@link #latest}
 * would pick. Only the newest {@code keep} checkpoints are kept. Each holds {@code model.zip} (network
 * with updater state and architecture) and {@code state.json} ({@link TrainingState}).
 */
public final class CheckpointStore {
  private static final Pattern NAME = Pattern.compile("step-(\\d+)");
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  static final String MODEL = "model.zip";
  static final String STATE = "state.json";

  /** One complete checkpoint. */
  public record Checkpoint(long step, Path dir) {}

  private final Path root;
  private final FileSystem fs;
  private final int keep;

  public CheckpointStore(String uri, int keep, Configuration conf) throws IOException {
    if (keep < 1) {
      throw new IllegalArgumentException("keep must be >= 1, got " + keep);
    }
    Path p = new Path(uri);
    this.fs = p.getFileSystem(conf);
    this.root = fs.makeQualified(p);
    this.keep = keep;
    fs.mkdirs(root);
  }

  public Path root() {
    return root;
  }

  /** Writes a checkpoint atomically, then deletes all but the newest {@code keep}. */
  public Checkpoint save(MultiLayerNetwork net, TransformerConfig config, TrainingState state) throws IOException {
    Path tmp = new Path(root, ".tmp-" + UUID.randomUUID());
    Path target = new Path(root, String.format("step-%09d", state.step()));
    fs.mkdirs(tmp);
    File zip = Files.createTempFile("checkpoint-", ".zip").toFile();
    try {
      TransformerLM.save(net, config, zip, true);
      fs.copyFromLocalFile(false, true, new Path(zip.toURI()), new Path(tmp, MODEL));
      try (OutputStream out = fs.create(new Path(tmp, STATE), true)) {
        out.write(JSON.writeValueAsBytes(state));
      }
      if (fs.exists(target)) {
        fs.delete(target, true);
      }
      if (!fs.rename(tmp, target)) {
        throw new IOException("could not rename " + tmp + " to " + target);
      }
    } finally {
      zip.delete();
      if (fs.exists(tmp)) {
        fs.delete(tmp, true);
      }
    }
    prune();
    return new Checkpoint(state.step(), target);
  }

  /** The newest complete checkpoint, if any. */
  public Optional<Checkpoint> latest() throws IOException {
    List<Checkpoint> all = list();
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  /** Complete checkpoints, oldest first. */
  public List<Checkpoint> list() throws IOException {
    List<Checkpoint> found = new ArrayList<>();
    for (FileStatus st : fs.listStatus(root)) {
      Matcher m = NAME.matcher(st.getPath().getName());
      if (st.isDirectory() && m.matches() && fs.exists(new Path(st.getPath(), STATE))
          && fs.exists(new Path(st.getPath(), MODEL))) {
        found.add(new Checkpoint(Long.parseLong(m.group(1)), st.getPath()));
      }
    }
    found.sort(Comparator.comparingLong(Checkpoint::step));
    return found;
  }

  public TrainingState state(Checkpoint c) throws IOException {
    try (InputStream in = fs.open(new Path(c.dir(), STATE))) {
      return JSON.readValue(in, TrainingState.class);
    }
  }

  /** A checkpoint's network (with updater state) and training state. */
  public record Restored(Checkpoint checkpoint, MultiLayerNetwork network, TrainingState state) {}

  /**
   * The newest checkpoint, checked to belong to a run of architecture {@code arch} and seed {@code seed}
   * whose optimiser (schedule included) equals {@code updater}, or empty when there is none yet. A checkpoint
   * of another run, or of another optimiser or schedule, is a {@link DataError}.
   */
  public Optional<Restored> restore(TransformerConfig arch, long seed, IUpdater updater) throws IOException {
    Optional<Checkpoint> latest = latest();
    if (latest.isEmpty()) {
      return Optional.empty();
    }
    TransformerLM.Loaded loaded = model(latest.get());
    TrainingState state = state(latest.get());
    if (!loaded.config().equals(arch) || state.seed() != seed) {
      throw new DataError("checkpoint " + latest.get().dir() + " was written by a different run (architecture "
          + loaded.config() + ", seed " + state.seed() + "); resume needs the same model and seed");
    }
    checkUpdater(latest.get(), loaded.network(), updater);
    return Optional.of(new Restored(latest.get(), loaded.network(), state));
  }

  /**
   * The optimiser, learning-rate schedule included, is saved inside the checkpoint's network: a resumed run
   * would silently keep the old one (e.g. the cosine decay of the old {@code train.steps}). Refused instead,
   * naming what differs.
   */
  private static void checkUpdater(Checkpoint c, MultiLayerNetwork net, IUpdater expected) {
    for (NeuralNetConfiguration conf : net.getLayerWiseConfigurations().getConfs()) {
      if (conf.getLayer() instanceof BaseLayer layer && layer.getIUpdater() != null
          && !layer.getIUpdater().equals(expected)) {
        throw new DataError("checkpoint " + c.dir() + " was trained with the optimiser " + layer.getIUpdater()
            + " but this run asks for " + expected + ": the learning-rate schedule is saved in the checkpoint,"
            + " so resume needs the same train.steps, train.optim.* (and distributed.optimizer,"
            + " distributed.epochs) as the run that wrote it; start a new run (another train.output) to change them");
      }
    }
  }

  /** The network with its updater state, as saved. */
  public TransformerLM.Loaded model(Checkpoint c) throws IOException {
    File zip = Files.createTempFile("checkpoint-", ".zip").toFile();
    try {
      fs.copyToLocalFile(false, new Path(c.dir(), MODEL), new Path(zip.toURI()), true);
      return TransformerLM.load(zip, true);
    } finally {
      zip.delete();
    }
  }

  private void prune() throws IOException {
    List<Checkpoint> all = list();
    for (int i = 0; i < all.size() - keep; i++) {
      fs.delete(all.get(i).dir(), true);
    }
  }
}
