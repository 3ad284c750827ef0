package dev.sparseattn.trainer.eval;

import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.datasets.shard.ShardReader;
import dev.sparseattn.datasets.shard.ShardRow;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import org.apache.hadoop.fs.Path;

/**
 * The rows of one split as native units, in seq_id order: row i is
 * {@code units[rowStart[i], rowStart[i+1])}, of which {@code units[targetStart[i], rowStart[i+1])} are
 * the targets a model is scored on (the row's first token is context only, as in training).
 *
 * @param units every row's units, concatenated
 * @param rowStart start of each row, plus the end ({@code rows + 1} entries)
 * @param targetStart start of each row's targets
 * @param targetTokens target tokens of the rows read (non-PAD ids after the first of each row)
 * @param complete whether the whole split was read (no cap reached)
 */
public record UnitCorpus(byte[] units, int[] rowStart, int[] targetStart, long targetTokens, boolean complete) {

  /** Number of rows. */
  public int rows() {
    return targetStart.length;
  }

  /** Number of target units. */
  public long targetUnits() {
    long n = 0;
    for (int i = 0; i < rows(); i++) {
      n += rowStart[i + 1] - targetStart[i];
    }
    return n;
  }

  /** The target units of all rows, concatenated: what the compressors code. */
  public byte[] targets() {
    ByteArrayOutputStream out = new ByteArrayOutputStream((int) targetUnits());
    for (int i = 0; i < rows(); i++) {
      out.write(units, targetStart[i], rowStart[i + 1] - targetStart[i]);
    }
    return out.toByteArray();
  }

  /**
   * Reads a split's rows in order until the next row would take the target units past
   * {@code maxUnits} (0 for no cap); at least one row is read when the split has any.
   */
  public static UnitCorpus read(PreparedDataset data, Split split, RowUnits decoder, long maxUnits)
      throws IOException {
    ByteArrayOutputStream units = new ByteArrayOutputStream(1 << 16);
    int[] rowStart = new int[1024];
    int[] targetStart = new int[1024];
    int rows = 0;
    long targetUnits = 0;
    long targetTokens = 0;
    boolean complete = true;
    read:
    for (Path shard : data.shardPaths(split)) {
      try (ShardReader reader = data.openShard(shard)) {
        for (ShardRow row; (row = reader.read()) != null; ) {
          RowUnits.Decoded d = decoder.decode(row.tokens(), row.nTokens());
          int targets = d.units().length - d.context();
          if (maxUnits > 0 && rows > 0 && targetUnits + targets > maxUnits) {
            complete = false;
            break read;
          }
          if (units.size() + (long) d.units().length > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("split " + split + " exceeds 2 GB of units: set a cap");
          }
          if (rows + 1 >= rowStart.length) {
            rowStart = Arrays.copyOf(rowStart, rowStart.length * 2);
            targetStart = Arrays.copyOf(targetStart, targetStart.length * 2);
          }
          rowStart[rows] = units.size();
          targetStart[rows] = units.size() + d.context();
          units.writeBytes(d.units());
          targetUnits += targets;
          targetTokens += Math.max(0, row.nTokens() - 1);
          rows++;
        }
      }
    }
    rowStart[rows] = units.size();
    return new UnitCorpus(units.toByteArray(), Arrays.copyOf(rowStart, rows + 1),
        Arrays.copyOf(targetStart, rows), targetTokens, complete);
  }
}
