package dev.sparseattn.trainer.infer;

import dev.sparseattn.datasets.shard.ShardRow;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * The {@code embed} job's task: per sequence, the mean of the final hidden states over its real input positions and
 * the last of them ({@link RowScorer#embed}), as float arrays of the model width.
 */
final class EmbedPass extends ShardPass {
  private static final long serialVersionUID = 1L;

  EmbedPass(ModelRef model, String datasetDir, int seqLen, int batchSize) {
    super(model, datasetDir, seqLen, batchSize);
  }

  /** The job's columns. */
  static List<StructField> columns() {
    return List.of(
        DataTypes.createStructField("n_positions", DataTypes.IntegerType, true),
        DataTypes.createStructField("mean", DataTypes.createArrayType(DataTypes.FloatType, false), true),
        DataTypes.createStructField("last", DataTypes.createArrayType(DataTypes.FloatType, false), true));
  }

  @Override
  int columnCount() {
    return 3;
  }

  @Override
  List<Object[]> process(ModelCache.Lease lease, List<ShardRow> batch) {
    RowScorer.Embedding[] e = RowScorer.embed(lease.net(), lease.config(), tokens(batch), segments(batch), nTokens(batch),
        lease.tokenizer().padId());
    List<Object[]> out = new ArrayList<>(batch.size());
    for (RowScorer.Embedding x : e) {
      out.add(new Object[] {x.positions(), x.mean(), x.last()});
    }
    return out;
  }
}
