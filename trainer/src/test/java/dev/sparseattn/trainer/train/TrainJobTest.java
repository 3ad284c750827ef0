package dev.sparseattn.trainer.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparseattn.datasets.config.JobArgs;
import dev.sparseattn.trainer.io.ModelArchive;
import dev.sparseattn.trainer.io.Provenance;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.sample.Sample;
import dev.sparseattn.trainer.sample.SampleConfig;
import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The train and sample jobs end to end on a tiny real dataset: loss falls, outputs are complete. */
class TrainJobTest {
  @TempDir static Path tmp;
  static Path data;
  static Path out;
  static TrainedModel trained;

  static List<String> sampleLines(int n) throws IOException {
    Path sample = Paths.get(System.getProperty("project.root.dir", ".."), "data/sample/kjv-sample.txt.gz");
    try (BufferedReader r = new BufferedReader(new InputStreamReader(
        new GZIPInputStream(Files.newInputStream(sample)), StandardCharsets.UTF_8))) {
      return r.lines().limit(n).collect(Collectors.toList());
    }
  }

  @BeforeAll
  static void trainTinyModel() throws Exception {
    data = tmp.resolve("data");
    out = tmp.resolve("model");
    TinyDataset.write(data, sampleLines(300), 32, 10);
    TrainConfig config = TrainConfig.parse(JobArgs.parseOverrides(List.of(
        "train.data=\"" + data.toUri() + "\"", "train.output=\"" + out + "\"",
        "train.model.d-model=32", "train.model.heads=2", "train.model.layers=1",
        "train.batch-size=8", "train.steps=60", "train.eval-every=30", "train.log-every=20",
        "train.eval-sequences=64", "train.optim.warmup-steps=5", "train.optim.learning-rate=0.01")));
    trained = Train.run(config);
  }

  @Test
  void validationLossFallsWellBelowUniformAndWritesMetrics() throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> lines = Files.readAllLines(out.resolve("metrics.jsonl")).stream()
        .map(l -> {
          try {
            return json.readTree(l);
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
        }).toList();
    List<JsonNode> train = lines.stream().filter(n -> n.get("event").asText().equals("train")).toList();
    List<JsonNode> validation = lines.stream().filter(n -> n.get("event").asText().equals("validation")).toList();
    assertEquals(60, train.size());
    assertEquals(List.of(30, 60), validation.stream().map(n -> n.get("step").asInt()).toList());
    double first = train.get(0).get("loss_bits_per_token").asDouble();
    double last = train.get(train.size() - 1).get("loss_bits_per_token").asDouble();
    assertTrue(first > 7.0, "an untrained model is near uniform over 257 ids (8 bits), got " + first);
    assertTrue(last < first - 2.0, "training loss must fall clearly: " + first + " -> " + last);
    double finalValidation = validation.get(1).get("bits_per_token").asDouble();
    assertTrue(finalValidation < 5.5, "validation bits per byte after 60 steps: " + finalValidation);

    JsonNode summary = json.readTree(out.resolve("summary.json").toFile());
    assertEquals(finalValidation, summary.get("validation_bits_per_token").asDouble(), 1e-12);
    assertTrue(summary.get("unigram_cross_entropy_bits").asDouble() > 3.5);
    assertEquals(60, summary.get("config").get("steps").asInt());
  }

  @Test
  void writesAReadableLossCurveAndTheResolvedConfig() throws IOException {
    BufferedImage png = ImageIO.read(out.resolve("loss.png").toFile());
    assertEquals(900, png.getWidth());
    assertEquals(540, png.getHeight());
    String conf = Files.readString(out.resolve("train.conf"));
    TrainConfig reparsed = TrainConfig.parse(com.typesafe.config.ConfigFactory.parseString(conf));
    assertEquals(60, reparsed.steps());
    assertEquals(32, reparsed.model().dModel());
    assertEquals(0.01, reparsed.optim().learningRate());
  }

  @Test
  void savedModelGivesIdenticalOutputs() throws IOException {
    TransformerLM.Loaded loaded = TransformerLM.load(out.resolve("model.zip").toFile());
    assertEquals(trained.config(), loaded.config());
    INDArray x = Nd4j.createFromArray(new float[][] {{69, 110, 100, 32, 71, 111, 100}});
    INDArray before = trained.network().output(x, false);
    INDArray after = loaded.network().output(x, false);
    assertArrayEquals(before.data().asFloat(), after.data().asFloat(), 0f);
  }

  @Test
  void savedModelRecordsItsProvenance() throws Exception {
    Provenance p = ModelArchive.readProvenance(out.resolve("model.zip").toFile()).orElseThrow();
    String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
        .digest(Files.readAllBytes(data.resolve("manifest.json"))));
    assertEquals(expected, p.manifestSha256());
    assertTrue(p.dataset().endsWith("data"), p.dataset());
    JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
    assertEquals(expected, summary.get("manifest_sha256").asText());
    assertEquals(summary.get("seed").asLong(), p.seed());
    assertEquals(60, ((Number) p.metrics().get("steps")).intValue());
    assertEquals(summary.get("tokens_seen").asLong(), ((Number) p.metrics().get("tokens_seen")).longValue());
    assertEquals(summary.get("validation_bits_per_token").asDouble(),
        ((Number) p.metrics().get("validation_bits_per_token")).doubleValue(), 0.0);
    assertEquals(summary.get("train_bits_per_token").asDouble(),
        ((Number) p.metrics().get("train_bits_per_token")).doubleValue(), 0.0);
    assertEquals(60, ((Number) p.config().get("steps")).intValue());
    assertEquals(new ObjectMapper().convertValue(summary.get("config"), Map.class), p.config());
    // a model zip written without provenance reads back as empty
    java.io.File bare = tmp.resolve("bare.zip").toFile();
    TransformerLM.save(trained.network(), trained.config(), bare);
    assertTrue(ModelArchive.readProvenance(bare).isEmpty());
  }

  @Test
  void sampleContinuesThePromptDeterministically() throws Exception {
    SampleConfig config = SampleConfig.parse(JobArgs.parseOverrides(List.of(
        "sample.model=\"" + out + "\"", "sample.prompt=\"And God said\"", "sample.max-new-tokens=40",
        "sample.temperature=0", "sample.overflow=slide")));
    String a = Sample.run(config);
    String b = Sample.run(config);
    assertTrue(a.startsWith("And God said"), a);
    assertTrue(a.length() > "And God said".length(), a);
    assertEquals(a, b);
  }
}
