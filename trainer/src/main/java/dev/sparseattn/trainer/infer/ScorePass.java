package dev.sparseattn.trainer.infer;

import dev.sparseattn.datasets.config.DataError;
import dev.sparseattn.datasets.shard.ShardRow;
import dev.sparseattn.trainer.eval.RowUnits;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * The {@code score} job's task: per sequence, its scored target tokens, total bits, bits per token and, for text and
 * DNA, its target units (bytes or bases, {@link RowUnits}: k-mers and BPE pieces decoded) and bits per unit;
 * optionally the surprisal of every target ({@code -log2 p}, a genome's per-base track for single-base tokens).
 */
final class ScorePass extends ShardPass {
  private static final long serialVersionUID = 1L;

  private final boolean tokenScores;
  private transient RowUnits units;
  private transient boolean unitsKnown;

  ScorePass(ModelRef model, String datasetDir, int seqLen, int batchSize, boolean tokenScores) {
    super(model, datasetDir, seqLen, batchSize);
    this.tokenScores = tokenScores;
  }

  /** The job's columns. */
  static List<StructField> columns(boolean tokenScores) {
    List<StructField> c = new ArrayList<>(List.of(
        DataTypes.createStructField("n_tokens", DataTypes.IntegerType, true),
        DataTypes.createStructField("bits", DataTypes.DoubleType, true),
        DataTypes.createStructField("bits_per_token", DataTypes.DoubleType, true),
        DataTypes.createStructField("n_units", DataTypes.LongType, true),
        DataTypes.createStructField("bits_per_unit", DataTypes.DoubleType, true)));
    if (tokenScores) {
      c.add(DataTypes.createStructField("token_bits", DataTypes.createArrayType(DataTypes.FloatType, false), true));
    }
    return c;
  }

  @Override
  int columnCount() {
    return tokenScores ? 6 : 5;
  }

  @Override
  List<Object[]> process(ModelCache.Lease lease, List<ShardRow> batch) {
    if (!unitsKnown) {
      try {
        units = RowUnits.of(lease.tokenizer());
      } catch (DataError e) {
        units = null;                       // time series: no byte or base units
      }
      unitsKnown = true;
    }
    float[][] bits = RowScorer.targetBits(lease.net(), lease.config(), tokens(batch), segments(batch), nTokens(batch),
        lease.tokenizer().padId());
    List<Object[]> out = new ArrayList<>(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      ShardRow row = batch.get(i);
      double total = RowScorer.sumBits(bits[i]);
      Object[] v = new Object[columnCount()];
      v[0] = bits[i].length;
      v[1] = total;
      v[2] = total / bits[i].length;
      if (units != null) {
        RowUnits.Decoded d = units.decode(row.tokens(), row.nTokens());
        long n = d.units().length - d.context();
        v[3] = n;
        v[4] = n == 0 ? null : total / n;
      }
      if (tokenScores) {
        v[5] = bits[i];
      }
      out.add(v);
    }
    return out;
  }
}
