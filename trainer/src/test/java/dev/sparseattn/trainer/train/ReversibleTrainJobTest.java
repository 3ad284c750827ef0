package dev.sparseattn.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.config.JobArgs;
import dev.sparseattn.trainer.io.ModelArchive;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import dev.sparseattn.trainer.model.network.TransformerConfig.Positions;
import dev.sparseattn.trainer.model.network.TransformerConfig.Residual;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.attention.AttentionSpec.Kind;
import dev.sparseattn.trainer.sample.Sample;
import dev.sparseattn.trainer.sample.SampleConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The train and sample jobs with the reversible, chunked model chosen in the configuration: alternating
 * local and LSH layers, axial positions, tied embeddings, chunked feed-forward and loss, dropout.
 */
class ReversibleTrainJobTest {
  @TempDir Path tmp;

  @Test
  void trainsSavesAndSamplesAReversibleModel() throws Exception {
    Path data = tmp.resolve("data");
    Path out = tmp.resolve("model");
    TinyDataset.write(data, TrainJobTest.sampleLines(300), 32, 10);
    TrainConfig config = TrainConfig.parse(JobArgs.parseOverrides(List.of(
        "train.data=\"" + data.toUri() + "\"", "train.output=\"" + out + "\"",
        "train.model.d-model=32", "train.model.heads=2", "train.model.layers=2",
        "train.model.attention=[{kind=sliding-window, window=8}, {kind=lsh, hashes=2, buckets=4, chunk=8}]",
        "train.model.residual=reversible", "train.model.positions=axial", "train.model.tied-embeddings=true",
        "train.model.ffn-chunk=64", "train.model.loss-chunk=48", "train.model.dropout=0.05",
        "train.batch-size=8", "train.steps=60", "train.eval-every=30", "train.log-every=20",
        "train.eval-sequences=64", "train.optim.warmup-steps=5", "train.optim.learning-rate=0.01")));
    TrainedModel trained = Train.run(config);

    double validation = (double) trained.summary().get("validation_bits_per_token");
    double unigram = (double) trained.summary().get("unigram_cross_entropy_bits");
    assertTrue(validation < unigram, "validation " + validation + " bits/byte vs unigram " + unigram);

    TransformerConfig saved = TransformerLM.load(out.resolve("model.zip").toFile(), false).config();
    assertEquals(Residual.REVERSIBLE, saved.residual());
    assertEquals(Positions.AXIAL, saved.positions());
    assertEquals(List.of(4, 8), saved.axialShape(), "default factors of seq-len 32");
    assertEquals(Kind.LSH, saved.attentionFor(1).kind());
    assertEquals(trained.config(), saved);
    assertEquals(trained.tokenizer(), ModelArchive.readTokenizer(out.resolve("model.zip").toFile()).orElseThrow(),
        "the zip carries its tokenizer");

    String text = Sample.run(SampleConfig.parse(JobArgs.parseOverrides(List.of(
        "sample.model=\"" + out + "\"", "sample.prompt=\"And God\"", "sample.max-new-tokens=20"))));
    assertTrue(text.startsWith("And God") && text.length() > "And God".length(), text);
  }
}
