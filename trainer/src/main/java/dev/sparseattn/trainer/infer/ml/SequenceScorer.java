package dev.sparseattn.trainer.infer.ml;

import dev.sparseattn.trainer.infer.DocumentScorer;
import dev.sparseattn.trainer.infer.ModelFit;
import dev.sparseattn.trainer.infer.ModelRef;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * A Spark ML {@link org.apache.spark.ml.Transformer} that applies a trained language model to a DataFrame column of raw documents (text,
 * or DNA sequences for a nucleotide model), tokenized with the model's own tokenizer, and adds per row:
 * <pre>
 *   bitsCol         double         total bits of the document's tokens ("" = not added)
 *   bitsPerUnitCol  double         bits per byte (text) or per base (DNA) ("" = not added)
 *   embeddingCol    array&lt;float&gt;   mean final hidden state over the document ("" = not added, the default)
 *   reasonCol       string         why a document has null outputs (null input, empty, refused by the tokenizer)
 * </pre>
 * A document the tokenizer refuses keeps its row, with null outputs and the reason: nothing is dropped. The model is
 * loaded once per executor JVM; documents are scored in batches of {@code batchSize} windows per partition. Saved
 * and loaded with Spark ML's default params writer ({@code MLWritable}, {@code MLReadable}), so it works inside a
 * {@code Pipeline}/{@code PipelineModel}; the model itself stays where {@code modelPath} points.
 */
public final class SequenceScorer extends ModelColumnTransformer<SequenceScorer> {
  private static final long serialVersionUID = 1L;
  /** Documents tokenized and scored together (their windows share forward passes). */
  private static final int DOCUMENTS_PER_CALL = 256;

  private final Param<String> bitsCol;
  private final Param<String> bitsPerUnitCol;
  private final Param<String> embeddingCol;
  private final IntParam batchSize;
  private final IntParam window;

  public SequenceScorer() {
    this(Identifiable$.MODULE$.randomUID("sequenceScorer"));
  }

  public SequenceScorer(String uid) {
    super(uid, "a trained model directory or its model.zip (any Hadoop file system)",
        "the string column of documents (text or sequences)", "text", "score_error");
    bitsCol = new Param<>(this, "bitsCol", "output column of total bits (empty: none)");
    bitsPerUnitCol = new Param<>(this, "bitsPerUnitCol", "output column of bits per byte or per base (empty: none)");
    embeddingCol = new Param<>(this, "embeddingCol", "output column of the mean final hidden state (empty: none)");
    batchSize = new IntParam(this, "batchSize", "windows per forward pass", ParamValidators.gtEq(1));
    setDefault(bitsCol, "bits");
    setDefault(bitsPerUnitCol, "bits_per_unit");
    setDefault(embeddingCol, "");
    window = new IntParam(this, "window", "tokens per window a document is cut into; 0: the model's training length"
        + " (longer only for a model with rotary positions and causal sliding windows)", ParamValidators.gtEq(0));
    setDefault(batchSize, 16);
    setDefault(window, 0);
  }

  @Override
  SequenceScorer self() {
    return this;
  }

  public Param<String> bitsCol() {
    return bitsCol;
  }

  public Param<String> bitsPerUnitCol() {
    return bitsPerUnitCol;
  }

  public Param<String> embeddingCol() {
    return embeddingCol;
  }

  public IntParam batchSize() {
    return batchSize;
  }

  public IntParam window() {
    return window;
  }

  public SequenceScorer setWindow(int v) {
    return with(window, v);
  }

  public SequenceScorer setBitsCol(String v) {
    return with(bitsCol, v);
  }

  public SequenceScorer setBitsPerUnitCol(String v) {
    return with(bitsPerUnitCol, v);
  }

  public SequenceScorer setEmbeddingCol(String v) {
    return with(embeddingCol, v);
  }

  public SequenceScorer setBatchSize(int v) {
    return with(batchSize, v);
  }

  @Override
  String inputTypeProblem(DataType type) {
    return type.equals(DataTypes.StringType) ? null : "a string (text or a sequence)";
  }

  @Override
  List<StructField> outputs() {
    List<StructField> f = new ArrayList<>();
    if (!$(bitsCol).isEmpty()) {
      f.add(DataTypes.createStructField($(bitsCol), DataTypes.DoubleType, true));
    }
    if (!$(bitsPerUnitCol).isEmpty()) {
      f.add(DataTypes.createStructField($(bitsPerUnitCol), DataTypes.DoubleType, true));
    }
    if (!$(embeddingCol).isEmpty()) {
      f.add(DataTypes.createStructField($(embeddingCol), DataTypes.createArrayType(DataTypes.FloatType, false), true));
    }
    return f;
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    StructType outSchema = transformSchema(dataset.schema());
    ModelRef model = ModelRef.resolve($(modelPath()), dataset.sparkSession().sparkContext().hadoopConfiguration());
    int column = dataset.schema().fieldIndex($(inputCol()));
    boolean bits = !$(bitsCol).isEmpty();
    boolean perUnit = !$(bitsPerUnitCol).isEmpty();
    boolean embed = !$(embeddingCol).isEmpty();
    int batch = (Integer) $(batchSize);
    int windowLength = (Integer) $(window);
    String problem = ModelFit.windowProblem(model.config(), windowLength);
    if (problem != null) {
      throw new IllegalArgumentException("window: " + problem);
    }
    JavaRDD<Row> rows = dataset.toDF().javaRDD().mapPartitions(
        part -> scored(part, model, column, batch, windowLength, bits, perUnit, embed));
    return dataset.sparkSession().createDataFrame(rows, outSchema);
  }

  /** The rows of a partition with their outputs appended, scored lazily {@link #DOCUMENTS_PER_CALL} at a time. */
  private static Iterator<Row> scored(Iterator<Row> part, ModelRef model, int column, int batch, int window,
                                      boolean bits, boolean perUnit, boolean embed) {
    return new Iterator<Row>() {
      private final ArrayDeque<Row> ready = new ArrayDeque<>();

      @Override
      public boolean hasNext() {
        if (ready.isEmpty() && part.hasNext()) {
          List<Row> chunk = new ArrayList<>(DOCUMENTS_PER_CALL);                      // a chunk at a time, lazily
          while (chunk.size() < DOCUMENTS_PER_CALL && part.hasNext()) {
            chunk.add(part.next());
          }
          List<String> docs = new ArrayList<>(chunk.size());
          for (Row r : chunk) {
            docs.add(r.isNullAt(column) ? null : r.getString(column));
          }
          List<DocumentScorer.Outcome> scored = DocumentScorer.score(model, docs, batch, window, embed);
          for (int i = 0; i < chunk.size(); i++) {
            ready.add(append(chunk.get(i), scored.get(i), bits, perUnit, embed));
          }
        }
        return !ready.isEmpty();
      }

      @Override
      public Row next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return ready.poll();
      }
    };
  }

  private static Row append(Row row, DocumentScorer.Outcome o, boolean bits, boolean perUnit, boolean embed) {
    List<Object> v = valuesOf(row, 4);
    if (bits) {
      v.add(o.bits());
    }
    if (perUnit) {
      v.add(o.bitsPerUnit());
    }
    if (embed) {
      v.add(o.mean());
    }
    v.add(o.reason());
    return RowFactory.create(v.toArray());
  }

  /** Spark ML's reader of a saved SequenceScorer. */
  public static MLReader<SequenceScorer> read() {
    return new DefaultParamsReader<>();
  }

  /** Loads a SequenceScorer saved with {@code write().save(path)}. */
  public static SequenceScorer load(String path) {
    return read().load(path);
  }
}
