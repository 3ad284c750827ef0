package dev.sparseattn.trainer.recipes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.datasets.testdata.RealData;
import dev.sparseattn.datasets.tokenize.Tokenizer;
import dev.sparseattn.pipeline.PrepareConfig;
import dev.sparseattn.pipeline.PrepareCorpus;
import dev.sparseattn.trainer.train.SequenceBatches;
import dev.sparseattn.trainer.train.Train;
import dev.sparseattn.trainer.train.TrainConfig;
import dev.sparseattn.trainer.train.TrainedModel;
import java.io.BufferedReader;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Parity of the text recipe with PyTorch (issue #12): the full KJV prepared by {@code conf/text-kjv.conf}, the
 * recipe's model (4 layers, d 256, 8 heads, ffn 1024, 512 tokens, learned positions, document mask) and optimiser
 * (Adam, warm-up + cosine to min-lr-fraction, global-norm clip 1.0) trained for {@code -Dparity.steps} steps (default
 * 200; the cosine runs over those steps; {@code -Dparity.warmup} overrides the recipe's 200 warm-up steps for short
 * runs) by the train job, and by {@code parity_torch.py} (beside this file, Debian's
 * {@code /usr/bin/python3} with {@code python3-torch}, 2 threads) on the same training rows in the same order and
 * the same validation rows, exported here as raw int32 files. Both validation losses are printed in bits per
 * byte (the byte tokenizer: one byte per token, EOS counted); the test fails when they differ by more than 0.05.
 * Slow (two ~20-minute trainings on 2 cores) and reads ../shared/data: {@code mvn -Pslow test -Dtest=...}.
 */
@Tag("slow")
class TextParityBenchmarkTest {
  @TempDir Path tmp;

  @Test
  void dl4jAndPyTorchReachTheSameValidationLoss() throws Exception {
    int steps = Integer.getInteger("parity.steps", 200);
    int evalSequences = Integer.getInteger("parity.eval-sequences", 128);
    String warmup = System.getProperty("parity.warmup", "");          // default: the recipe's

    Path kjv = RealData.KJV.shared();
    Config conf = ConfigFactory.parseString(String.join("\n",
            "prepare.input = [\"" + kjv.toUri() + "\"]",
            "prepare.output = \"" + tmp.resolve("data") + "\"",
            "train.output = \"" + tmp.resolve("model") + "\"",
            "train.steps = " + steps, "train.eval-every = " + steps, "train.log-every = 10",
            "train.eval-sequences = " + evalSequences,
            warmup.isEmpty() ? "" : "train.optim.warmup-steps = " + warmup))
        .withFallback(ConfigFactory.parseFile(Path.of(System.getProperty("project.root.dir", ".."),
            "conf/text-kjv.conf").toFile())).resolve();
    PrepareCorpus.run(PrepareConfig.parse(conf));
    TrainConfig train = TrainConfig.parse(conf);
    assertEquals(1, train.gradAccumulation(), "the export below assumes one micro-batch per step");
    PreparedDataset data = PreparedDataset.open(dev.sparseattn.datasets.fs.HadoopPaths.resolve(train.data()), new Configuration());
    Tokenizer tokenizer = data.tokenizer();

    SequenceBatches trainRows = SequenceBatches.training(data, train.batchSize(), train.seed());
    export(trainRows, steps, tmp.resolve("train"));
    SequenceBatches validRows = SequenceBatches.inOrder(data, Split.VALIDATION, train.batchSize());
    export(validRows, (evalSequences + train.batchSize() - 1) / train.batchSize(), tmp.resolve("valid"),
        evalSequences);

    var o = train.optim();
    var m = train.model();
    List<String> cmd = new ArrayList<>(List.of("/usr/bin/python3", script().toString(),
        "--train-rows", tmp.resolve("train.rows").toString(), "--train-segments", tmp.resolve("train.segs").toString(),
        "--valid-rows", tmp.resolve("valid.rows").toString(), "--valid-segments", tmp.resolve("valid.segs").toString(),
        "--vocab", "" + tokenizer.vocabSize(), "--pad", "" + tokenizer.padId(),
        "--seq-len", "" + data.manifest().seqLen(), "--d-model", "" + m.dModel(), "--heads", "" + m.heads(),
        "--layers", "" + m.layers(), "--ffn-hidden", "" + m.ffnHidden(), "--batch", "" + train.batchSize(),
        "--steps", "" + steps, "--warmup", "" + o.warmupSteps(), "--seed", "" + train.seed(), "--threads", "2",
        "--lr", "" + o.learningRate(), "--min-lr-fraction", "" + o.minLrFraction(), "--beta1", "" + o.beta1(),
        "--beta2", "" + o.beta2(), "--clip", "" + o.gradientClip(), "--weight-decay", "" + o.weightDecay()));
    assertTrue(m.attention().isEmpty() && !m.tiedEmbeddings() && m.dropout() == 0
        && m.positions().name().equals("LEARNED") && train.documentMask(),
        "parity_torch.py implements the recipe's dense, untied, learned-position model with the document mask");
    CompletableFuture<Double> torch = CompletableFuture.supplyAsync(() -> runPeer(cmd));

    long t0 = System.nanoTime();
    TrainedModel model = Train.run(train);
    double javaSeconds = (System.nanoTime() - t0) / 1e9;
    double ours = ((Number) model.summary().get("validation_bits_per_token")).doubleValue();
    double theirs = torch.get();
    System.out.printf("parity (%d steps, batch %d, %d validation sequences): sparseattn %.3f bits/byte (%.0f s),"
        + " PyTorch %.3f bits/byte; difference %.3f (limit 0.05)%n", steps, train.batchSize(), evalSequences, ours,
        javaSeconds, theirs, ours - theirs);
    assertTrue(Math.abs(ours - theirs) <= 0.05, String.format("sparseattn %.3f vs PyTorch %.3f bits/byte", ours,
        theirs));
  }

  private static Path script() {
    return Path.of(System.getProperty("project.root.dir", ".."),
        "trainer/src/test/java/dev/sparseattn/trainer/recipes/parity_torch.py");
  }

  /** Runs the peer, echoing its output; its validation bits per token. */
  private static double runPeer(List<String> cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      double bits = Double.NaN;
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
        String line;
        while ((line = r.readLine()) != null) {
          System.out.println("torch: " + line);
          if (line.startsWith("validation_bits_per_token ")) {
            bits = Double.parseDouble(line.substring(line.indexOf(' ') + 1));
          }
        }
      }
      if (p.waitFor() != 0 || Double.isNaN(bits)) {
        throw new IllegalStateException("parity_torch.py failed (exit " + p.exitValue() + ")");
      }
      return bits;
    } catch (IOException | InterruptedException e) {
      throw new IllegalStateException("cannot run " + cmd, e);
    }
  }

  private static void export(SequenceBatches batches, int count, Path prefix) throws IOException {
    export(batches, count, prefix, Integer.MAX_VALUE);
  }

  /** The next {@code count} batches (at most {@code maxRows} rows) as int32 little-endian rows and segment ids. */
  private static void export(SequenceBatches batches, int count, Path prefix, int maxRows) throws IOException {
    int written = 0;
    try (DataOutputStream rows = new DataOutputStream(Files.newOutputStream(Path.of(prefix + ".rows")));
         DataOutputStream segs = new DataOutputStream(Files.newOutputStream(Path.of(prefix + ".segs")))) {
      for (int b = 0; b < count; b++) {
        int[][] batch = batches.next();
        int[][] segments = batches.segments();
        if (batch == null || segments == null) {
          throw new IllegalStateException("ran out of rows or segment ids after " + written + " rows");
        }
        for (int i = 0; i < batch.length && written < maxRows; i++, written++) {
          rows.write(littleEndian(batch[i]));
          segs.write(littleEndian(segments[i]));
        }
      }
    }
  }

  private static byte[] littleEndian(int[] values) {
    ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asIntBuffer().put(values);
    return b.array();
  }
}
