package dev.sparseattn.trainer.infer.ml;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * What the project's Spark ML transformers share: a trained model ({@code modelPath}), one input column, output
 * columns appended to every row and a {@code reasonCol} saying why a row has null outputs (so no row is dropped), and
 * the schema check that runs before any Spark job. Subclasses add their own params and say which input type they take
 * and which columns they add. Saved and loaded with Spark ML's default params writer; a subclass needs a public
 * {@code (String uid)} constructor for it, as Spark ML's own transformers do.
 *
 * @param <T> the subclass, returned by the setters for chaining
 */
abstract class ModelColumnTransformer<T extends ModelColumnTransformer<T>> extends Transformer
    implements DefaultParamsWritable {
  private static final long serialVersionUID = 1L;

  private final String uid;
  private final Param<String> modelPath;
  private final Param<String> inputCol;
  private final Param<String> reasonCol;

  ModelColumnTransformer(String uid, String modelDoc, String inputDoc, String defaultInput, String defaultReason) {
    this.uid = uid;
    modelPath = new Param<>(this, "modelPath", modelDoc);
    inputCol = new Param<>(this, "inputCol", inputDoc);
    reasonCol = new Param<>(this, "reasonCol", "output column of the reason a row has null outputs");
    setDefault(inputCol, defaultInput);
    setDefault(reasonCol, defaultReason);
  }

  /** This transformer as its own type, for the setters. */
  abstract T self();

  /**
   * Null when {@code type} is what the input column must hold, else what it must hold, e.g.
   * {@code "a string (text or a sequence)"}.
   */
  abstract String inputTypeProblem(DataType type);

  /** The columns this transformer adds before {@code reasonCol}, with the current params. */
  abstract List<StructField> outputs();

  @Override
  public String uid() {
    return uid;
  }

  // the params, found by Spark ML through their public getters (Params.params)
  public Param<String> modelPath() {
    return modelPath;
  }

  public Param<String> inputCol() {
    return inputCol;
  }

  public Param<String> reasonCol() {
    return reasonCol;
  }

  public T setModelPath(String v) {
    set(modelPath, v);
    return self();
  }

  public T setInputCol(String v) {
    set(inputCol, v);
    return self();
  }

  public T setReasonCol(String v) {
    set(reasonCol, v);
    return self();
  }

  /** Sets a param of the subclass and returns it, for the subclass' setters. */
  <V> T with(Param<V> param, V value) {
    set(param, value);
    return self();
  }

  /**
   * The input schema plus {@link #outputs()} and {@code reasonCol}; fails before any work, naming the param, when the
   * model path is unset, the input column is missing or of the wrong type, or an output column exists already.
   */
  @Override
  public StructType transformSchema(StructType schema) {
    String name = getClass().getSimpleName();
    if (!isDefined(modelPath) || $(modelPath).isEmpty()) {
      throw new IllegalArgumentException(name + ": modelPath is not set");
    }
    List<String> names = Arrays.asList(schema.fieldNames());
    String in = $(inputCol);
    if (!names.contains(in)) {
      throw new IllegalArgumentException(name + ": input column '" + in + "' does not exist; the columns are "
          + names);
    }
    String problem = inputTypeProblem(schema.apply(in).dataType());
    if (problem != null) {
      throw new IllegalArgumentException(name + ": input column '" + in + "' must be " + problem + ", got "
          + schema.apply(in).dataType().simpleString());
    }
    List<StructField> added = new ArrayList<>(outputs());
    added.add(DataTypes.createStructField($(reasonCol), DataTypes.StringType, true));
    StructType out = schema;
    for (StructField f : added) {
      if (Arrays.asList(out.fieldNames()).contains(f.name())) {
        throw new IllegalArgumentException(name + ": output column '" + f.name() + "' already exists");
      }
      out = out.add(f);
    }
    return out;
  }

  /** A row's values with room for {@code extra} more, to append outputs to. */
  static List<Object> valuesOf(Row row, int extra) {
    List<Object> v = new ArrayList<>(row.size() + extra);
    for (int i = 0; i < row.size(); i++) {
      v.add(row.get(i));
    }
    return v;
  }

  @Override
  public T copy(ParamMap extra) {
    return defaultCopy(extra);
  }
}
