package dev.sparseattn.trainer.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sparseattn.datasets.config.JobArgs;
import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.datasets.shard.ShardReader;
import dev.sparseattn.datasets.shard.ShardRow;
import dev.sparseattn.datasets.tokenize.ByteTokenizer;
import dev.sparseattn.trainer.io.ModelArchive;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * Scoring throughput (not a timed test; prints its figures): tokens per second of the score job on {@code local[1]}
 * and {@code local[2]} against the single-machine forward pass of the same model on the same rows and batches (the
 * same {@link RowScorer} call, no Spark). Sizes: {@code -Dbench.lines} KJV verses (default 4000), rows of
 * {@code -Dbench.len} tokens (128), a {@code -Dbench.model} model (d x layers, 128x2), batches of 16.
 */
@Tag("slow")
class ScoreThroughputBenchmark {
  @TempDir Path tmp;

  @Test
  void throughputAgainstTheSingleMachineForwardPass() throws Exception {
    int lines = Integer.getInteger("bench.lines", 4000);
    int len = Integer.getInteger("bench.len", 128);
    String[] model = System.getProperty("bench.model", "128x2").split("x");
    Path data = tmp.resolve("data");
    dev.sparseattn.trainer.train.TinyDataset.write(data, InferFixture.kjv(lines), len, 1, 64);
    ByteTokenizer tok = new ByteTokenizer();
    int d = Integer.parseInt(model[0]);
    TransformerConfig arch = new TransformerConfig(tok.vocabSize(), len, d, d / 32, Integer.parseInt(model[1]),
        4 * d, 1);
    MultiLayerNetwork net = TransformerLM.build(arch, new Sgd(0.1), DataType.FLOAT);
    Path dir = Files.createDirectories(tmp.resolve("model"));
    File zip = dir.resolve("model.zip").toFile();
    TransformerLM.save(net, arch, zip, false);
    ModelArchive.writeTokenizer(zip, tok.describe());

    PreparedDataset ds = PreparedDataset.open(data.toUri().toString(), new Configuration());
    List<ShardRow> rows = new ArrayList<>();
    for (org.apache.hadoop.fs.Path shard : ds.shardPaths(Split.VALIDATION)) {
      try (ShardReader r = ds.openShard(shard)) {
        for (ShardRow row; (row = r.read()) != null; ) {
          rows.add(row);
        }
      }
    }
    MultiLayerNetwork loaded = TransformerLM.load(zip, false).network();
    // the reference runs in a fresh thread, as a Spark task does: in the JUnit main thread (which built, saved and
    // loaded the network) the same forward passes measured 10-17x slower here, see the README
    double mainThread = singleMachine(loaded, arch, rows, tok.padId());
    double single = inFreshThread(() -> singleMachine(loaded, arch, rows, tok.padId()));
    long tokens = rows.stream().mapToLong(r -> r.nTokens() - 1).sum();
    System.out.printf("score benchmark: %d rows, %d tokens, model %s, len %d%n", rows.size(), tokens,
        String.join("x", model), len);
    System.out.printf("  single machine forward: %,.0f tokens/s in a fresh thread, %,.0f in the JUnit main thread%n",
        single, mainThread);
    for (String master : List.of("local[1]", "local[2]")) {
      int cores = master.equals("local[1]") ? 1 : 2;
      for (int run = 0; run < 2; run++) {                                                  // the first run loads
        Map<String, Object> s = Score.run(ScoreConfig.parse(JobArgs.parseOverrides(List.of(
            "score.data=\"" + data.toUri() + "\"", "score.model=\"" + dir + "\"",
            "score.output=\"" + tmp.resolve("out-" + cores + "-" + run) + "\"", "score.batch-size=16"))),
            InferFixture.spark(master));
        @SuppressWarnings("unchecked")
        Map<String, Object> totals = (Map<String, Object>) s.get("totals");
        assertEquals(tokens, ((Number) totals.get("tokens")).longValue());
        double rate = ((Number) totals.get("tokens_per_second")).doubleValue();
        System.out.printf("  %s run %d: %,.0f tokens/s (%,.0f per core), %.2fx the single-machine forward%n",
            master, run, rate, rate / cores, rate / single);
      }
    }
    InferFixture.spark("local[2]").stop();
    System.out.printf("  single machine forward again: %,.0f tokens/s (fresh thread)%n",
        inFreshThread(() -> singleMachine(loaded, arch, rows, tok.padId())));
  }

  private static double inFreshThread(java.util.function.DoubleSupplier work) throws InterruptedException {
    double[] out = new double[1];
    Thread t = new Thread(() -> out[0] = work.getAsDouble());
    t.start();
    t.join();
    return out[0];
  }

  /** Tokens per second of the same forward passes without Spark: batches of 16 within each shard of 64 rows. */
  private static double singleMachine(MultiLayerNetwork net, TransformerConfig arch, List<ShardRow> rows, int pad) {
    RowScorer.targetBits(net, arch, ShardPass.tokens(rows.subList(0, 16)), null, ShardPass.nTokens(rows.subList(0, 16)),
        pad);                                                                              // warm-up
    long t0 = System.nanoTime();
    long tokens = 0;
    for (int from = 0; from < rows.size(); from += 16) {
      List<ShardRow> b = rows.subList(from, Math.min(rows.size(), from + 16));
      for (float[] t : RowScorer.targetBits(net, arch, ShardPass.tokens(b), null, ShardPass.nTokens(b), pad)) {
        tokens += t.length;
      }
    }
    return tokens / ((System.nanoTime() - t0) / 1e9);
  }
}
