package dev.sparseattn.trainer.infer.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.tokenize.AmbiguityRule;
import dev.sparseattn.datasets.tokenize.ByteTokenizer;
import dev.sparseattn.datasets.tokenize.NucleotideTokenizer;
import dev.sparseattn.datasets.tokenize.Tokenizer;
import dev.sparseattn.trainer.io.ModelArchive;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * {@link SequenceScorer} with real Spark (local[2]) on untrained but real models (byte text, seq_len 32; DNA 3-mers):
 * bits equal single-machine {@code sumNats} of the same windows, bits per unit are per byte or per base, the
 * embedding equals the directly computed hidden states, refused documents keep their row with a reason, the schema is
 * checked before any Spark job, and save/load (alone and inside a Pipeline) round-trips.
 */
class SequenceScorerTest {
  private static final double LN2 = Math.log(2);
  @TempDir static Path tmp;
  static SparkSession spark;
  static Path textModel;
  static Path dnaModel;
  static TransformerLM.Loaded text;

  @BeforeAll
  static void setUp() throws Exception {
    textModel = save("text", new ByteTokenizer(), 32);
    dnaModel = save("dna", new NucleotideTokenizer(new NucleotideTokenizer.Options(3, false, AmbiguityRule.TOKEN,
        true)), 16);
    text = TransformerLM.load(textModel.resolve("model.zip").toFile(), false);
    spark = SparkSession.builder().master("local[2]").appName("sequence-scorer-test")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static Path save(String name, Tokenizer tok, int seqLen) throws Exception {
    TransformerConfig arch = new TransformerConfig(tok.vocabSize(), seqLen, 16, 2, 1, 32, 11);
    MultiLayerNetwork net = TransformerLM.build(arch, new Sgd(0.1), DataType.FLOAT);
    Path dir = tmp.resolve(name);
    Files.createDirectories(dir);
    File zip = dir.resolve("model.zip").toFile();
    TransformerLM.save(net, arch, zip, false);
    ModelArchive.writeTokenizer(zip, tok.describe());
    return dir;
  }

  private static Dataset<Row> frame(String... docs) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < docs.length; i++) {
      rows.add(RowFactory.create((long) i, docs[i]));
    }
    StructType schema = new StructType().add("id", DataTypes.LongType).add("text", DataTypes.StringType);
    return spark.createDataFrame(rows, schema).repartition(2);
  }

  /** Bits of {@code EOS + ids} computed on one machine, window by window (stride 32). */
  private static double directBits(String doc) {
    int[] ids = new ByteTokenizer().encode(doc);
    int[] all = new int[ids.length + 1];
    all[0] = 257;
    System.arraycopy(ids, 0, all, 1, ids.length);
    double nats = 0;
    for (int start = 0; start < all.length - 1; start += 32) {
      int[] w = Arrays.copyOfRange(all, start, Math.min(all.length, start + 33));
      nats += TransformerLM.sumNats(text.network(), TransformerLM.toDataSet(text.config(), new int[][] {w}, 256))[0];
    }
    return nats / LN2;
  }

  private static Row byId(List<Row> rows, long id) {
    return rows.stream().filter(r -> r.getLong(0) == id).findFirst().orElseThrow();
  }

  @Test
  void addsBitsPerByteAndEmbeddingsEqualToTheSingleMachineModel() {
    String shortDoc = "In the beginning God created the heaven";                       // 39 bytes: two windows
    String tiny = "Amen.";
    String longDoc = "And the earth was without form, and void; and darkness was upon the face of the deep.";
    SequenceScorer scorer = new SequenceScorer().setModelPath(textModel.toString()).setEmbeddingCol("embedding")
        .setBatchSize(3);
    List<Row> out = scorer.transform(frame(shortDoc, tiny, longDoc, null, "")).collectAsList();
    assertEquals(5, out.size());
    String[] docs = {shortDoc, tiny, longDoc};
    for (int i = 0; i < 3; i++) {
      Row r = byId(out, i);
      double bits = r.getDouble(r.fieldIndex("bits"));
      assertEquals(directBits(docs[i]), bits, 1e-5 * bits, docs[i]);
      assertEquals(bits / docs[i].length(), r.getDouble(r.fieldIndex("bits_per_unit")), 1e-12);
      assertTrue(r.isNullAt(r.fieldIndex("score_error")));
    }
    // the embedding of a one-window document: the mean of its final hidden states over its input positions
    int[] ids = new ByteTokenizer().encode(tiny);
    int[] row = new int[ids.length + 1];
    row[0] = 257;
    System.arraycopy(ids, 0, row, 1, ids.length);
    INDArray h = TransformerLM.hiddenStates(text.network(), TransformerLM.toDataSet(text.config(), new int[][] {row},
        256));                                                                          // [1, 5, 16]
    float[] expected = h.get(NDArrayIndex.point(0), NDArrayIndex.all(), NDArrayIndex.all()).mean(0).toFloatVector();
    List<Float> got = byId(out, 1).getList(byId(out, 1).fieldIndex("embedding"));
    for (int k = 0; k < expected.length; k++) {
      assertEquals(expected[k], got.get(k), 1e-5f);
    }
    Row none = byId(out, 3);
    assertTrue(none.isNullAt(none.fieldIndex("bits")));
    assertEquals("null: no input", none.getString(none.fieldIndex("score_error")));
    assertEquals("empty: no tokens", byId(out, 4).getString(byId(out, 4).fieldIndex("score_error")));
  }

  @Test
  void dnaKmersAreScoredPerBaseAndRefusedSequencesKeepTheirRow() {
    String seq = "ACGTTGCAACGGATCCAT";                                                   // 18 bases, 6 3-mers
    List<Row> out = new SequenceScorer().setModelPath(dnaModel.toString())
        .transform(frame(seq, "ACGXTT")).collectAsList();
    Row ok = byId(out, 0);
    double bits = ok.getDouble(ok.fieldIndex("bits"));
    assertTrue(bits > 0);
    assertEquals(bits / 18, ok.getDouble(ok.fieldIndex("bits_per_unit")), 1e-12);
    Row refused = byId(out, 1);
    assertNull(refused.get(refused.fieldIndex("bits")));
    assertTrue(refused.getString(refused.fieldIndex("score_error")).startsWith("unexpected-letter"),
        refused.toString());
  }

  @Test
  void schemaIsCheckedBeforeAnySparkJob() {
    StructType schema = new StructType().add("id", DataTypes.LongType).add("text", DataTypes.IntegerType);
    Dataset<Row> ints = spark.createDataFrame(List.of(RowFactory.create(1L, 5)), schema);
    int jobs = spark.sparkContext().statusTracker().getJobIdsForGroup(null).length;
    SequenceScorer scorer = new SequenceScorer().setModelPath(textModel.toString());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> scorer.transform(ints));
    assertTrue(e.getMessage().contains("input column 'text' must be a string"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> scorer.setInputCol("body").transformSchema(schema));
    assertTrue(e.getMessage().contains("input column 'body' does not exist"), e.getMessage());
    assertEquals(jobs, spark.sparkContext().statusTracker().getJobIdsForGroup(null).length);
  }

  @Test
  void saveLoadRoundTripAloneAndInAPipeline() throws Exception {
    SequenceScorer scorer = new SequenceScorer().setModelPath(textModel.toString()).setInputCol("text")
        .setBitsCol("b").setBitsPerUnitCol("").setBatchSize(5).setReasonCol("why");
    assertEquals(List.of("batchSize", "bitsCol", "bitsPerUnitCol", "embeddingCol", "inputCol", "modelPath",
        "reasonCol", "window"), Arrays.stream(scorer.params()).map(p -> p.name()).sorted().toList());
    String path = tmp.resolve("scorer").toString();
    scorer.write().overwrite().save(path);
    SequenceScorer loaded = SequenceScorer.load(path);
    assertEquals(scorer.uid(), loaded.uid());
    assertEquals(textModel.toString(), loaded.getOrDefault(loaded.modelPath()));
    assertEquals("b", loaded.getOrDefault(loaded.bitsCol()));
    assertEquals(5, (int) loaded.getOrDefault(loaded.batchSize()));
    assertEquals(0, (int) loaded.getOrDefault(loaded.window()));
    assertEquals("why", loaded.getOrDefault(loaded.reasonCol()));
    // the text model has learned positions: a longer window is refused when the stage is applied, naming the param
    IllegalArgumentException longer = assertThrows(IllegalArgumentException.class,
        () -> new SequenceScorer().setModelPath(textModel.toString()).setInputCol("text").setWindow(4096)
            .transform(frame("Jesus wept.")));
    assertTrue(longer.getMessage().startsWith("window: the model reads windows of"), longer.getMessage());

    Dataset<Row> df = frame("Jesus wept.", "God is love.");
    PipelineModel model = new Pipeline().setStages(new PipelineStage[] {scorer}).fit(df);
    String pipePath = tmp.resolve("pipeline").toString();
    model.write().overwrite().save(pipePath);
    List<Row> before = model.transform(df).orderBy("id").collectAsList();
    List<Row> after = PipelineModel.load(pipePath).transform(df).orderBy("id").collectAsList();
    assertEquals(before, after);
    assertEquals(List.of("id", "text", "b", "why"), Arrays.asList(after.get(0).schema().fieldNames()));
    assertEquals(directBits("Jesus wept."), after.get(0).getDouble(2), 1e-5 * after.get(0).getDouble(2));
  }
}
