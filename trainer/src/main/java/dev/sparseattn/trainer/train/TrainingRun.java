package dev.sparseattn.trainer.train;

import dev.sparseattn.datasets.fs.HadoopPaths;
import dev.sparseattn.datasets.manifest.Manifest;
import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.trainer.checkpoint.CheckpointStore;
import dev.sparseattn.trainer.io.ModelArchive;
import dev.sparseattn.trainer.io.ModelDirectory;
import dev.sparseattn.trainer.io.Provenance;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.report.LossCurve;
import dev.sparseattn.trainer.report.MetricsLog;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The output side shared by the training jobs, whatever trains the model (one machine or Spark): opens
 * the output directory (kept on resume), writes the resolved configuration, sets up checkpoints and
 * the metrics log (replaying an interrupted run's metrics up to its last checkpoint), runs the loop,
 * then saves {@code model.zip} (weights, updater state, architecture, tokenizer and {@link Provenance}), {@code tokenizer.json}, {@code summary.json} and {@code loss.png}.
 */
public final class TrainingRun {
  private static final Logger LOG = LoggerFactory.getLogger(TrainingRun.class);

  private TrainingRun() {}

  /** The training itself, given where to write metrics and checkpoints (null when disabled). */
  @FunctionalInterface
  public interface Loop {
    TrainedModel train(MetricsLog metrics, CheckpointStore checkpoints) throws IOException;
  }

  /**
   * Runs {@code loop} for the job named {@code job} with outputs under {@code train.output()}.
   *
   * @param resolvedConf the configuration text written as {@code train.conf}
   * @param resolvedValues the same configuration as values, recorded in {@code summary.json}
   * @param plotTitle the loss curve's title for the trained model
   */
  public static TrainedModel execute(String job, TrainConfig train, PreparedDataset data, Configuration hadoop,
                                     String resolvedConf, Map<String, Object> resolvedValues,
                                     Function<TrainedModel, String> plotTitle, Loop loop) throws IOException {
    KmerObjective.check(data.tokenizer(), train.allowOverlappingKmers(), System.out);
    String output = HadoopPaths.resolve(train.output());
    ModelDirectory out = train.resume()
        ? ModelDirectory.reuse(output, hadoop)
        : ModelDirectory.create(output, train.overwrite(), hadoop);
    LOG.info("{}: data {} -> {}", job, data.dir(), out.path());
    out.writeText("train.conf", resolvedConf);
    CheckpointStore checkpoints = train.checkpoint().enabled()
        ? new CheckpointStore(train.checkpoint().dir().isEmpty() ? out.resolve("checkpoints").toString()
            : HadoopPaths.resolve(train.checkpoint().dir()), train.checkpoint().keep(), hadoop)
        : null;

    TrainedModel model;
    byte[] earlier = train.resume() && out.exists("metrics.jsonl") ? out.readBytes("metrics.jsonl") : null;
    MetricsLog metrics = new MetricsLog(out.create("metrics.jsonl"));
    try (metrics) {
      if (earlier != null && checkpoints != null && checkpoints.latest().isPresent()) {
        metrics.replay(new ByteArrayInputStream(earlier), checkpoints.latest().get().step());
      }
      model = loop.train(metrics, checkpoints);
    }
    String manifestSha256 = sha256(new Path(data.dir(), Manifest.FILE_NAME), hadoop);
    File zip = Files.createTempFile("model-", ".zip").toFile();
    try {
      TransformerLM.save(model.network(), model.config(), zip);
      ModelArchive.writeTokenizer(zip, model.tokenizer());
      ModelArchive.writeProvenance(zip, provenance(model, data, manifestSha256, resolvedValues));
      out.put(zip, "model.zip");
    } finally {
      zip.delete();
    }
    out.writeJson("tokenizer.json", model.tokenizer());
    Map<String, Object> summary = new LinkedHashMap<>(model.summary());
    TokenUnits.of(data.tokenizer()).ifPresent(u -> u.addTo(summary));
    summary.put("data", data.dir().toString());
    summary.put("manifest_sha256", manifestSha256);
    summary.put("config", resolvedValues);
    out.writeJson("summary.json", summary);
    try (OutputStream png = out.create("loss.png")) {
      LossCurve.write(png, plotTitle.apply(model), metrics.trainPoints(), metrics.validationPoints(),
          List.of(new LossCurve.Reference("unigram baseline", (double) summary.get("unigram_cross_entropy_bits"))));
    }
    LOG.info("{}: wrote {} (model.zip, tokenizer.json, train.conf, metrics.jsonl, loss.png, summary.json)",
        job, out.path());
    return model;
  }

  /** What produced the model: the dataset's manifest checksum, the resolved configuration, seed and final figures. */
  private static Provenance provenance(TrainedModel model, PreparedDataset data, String manifestSha256,
                                       Map<String, Object> resolvedValues) {
    Map<String, Object> metrics = new LinkedHashMap<>();
    for (String key : List.of("steps", "tokens_seen", "train_bits_per_token", "validation_bits_per_token")) {
      Object value = model.summary().get(key);
      if (value != null) {
        metrics.put(key, value);
      }
    }
    return new Provenance(manifestSha256, data.dir().toString(), resolvedValues,
        ((Number) model.summary().get("seed")).longValue(), metrics);
  }

  /** SHA-256 (hex) of a file on any Hadoop file system. */
  static String sha256(Path file, Configuration hadoop) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    try (InputStream in = file.getFileSystem(hadoop).open(file)) {
      byte[] buffer = new byte[1 << 16];
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        digest.update(buffer, 0, n);
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }
}
