package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.read.BlockIndex;
import dev.sparseattn.datasets.read.DocLine;
import dev.sparseattn.datasets.read.RangeInput;
import dev.sparseattn.datasets.read.RecordFormat;
import dev.sparseattn.datasets.read.SplittableFormat;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.util.CollectionAccumulator;

/**
 * The units of one split (byte range) of an uncompressed file ({@link SplittableFormat#openSplit}, or
 * pass two of a {@link dev.sparseattn.datasets.read.ScannedSplitFormat}),
 * each marked with the split's global index ({@link DocLine#inPart}); a split that cannot be opened
 * is one {@code unreadable} unit, a read that fails midway ends it with one {@code truncated} unit
 * (as {@link StreamSource.Guarded} does for whole files; {@link GuardedUnits}). When the split is read to its end, its
 * number of units is added to {@code counts} as {@code {split, units}} (a retried task adds the same
 * pair again), from which the driver numbers the records of the file ({@link ReadUnits}).
 */
final class SplitUnits extends GuardedUnits {
  private final int split;
  private final long start;
  private final CollectionAccumulator<long[]> counts;
  private RecordFormat.Units units;
  private boolean reported;
  private long emitted;

  /** How a split is opened: {@link SplittableFormat#openSplit}, or a two-pass format's pass two. */
  @FunctionalInterface
  interface Opener {
    RecordFormat.Units open(RangeInput file, long start, long end) throws IOException;
  }

  /**
   * The split's units; {@code blocks}: the file's index when it is block-compressed (offsets are then decompressed
   * ones, as for the file read whole), else null.
   */
  SplitUnits(Path path, Configuration conf, BlockIndex blocks, Opener format, long start, long end, int split,
      CollectionAccumulator<long[]> counts) {
    this.split = split;
    this.start = start;
    this.counts = counts;
    try {
      FileSystem fs = path.getFileSystem(conf);
      FSDataInputStream stream = fs.open(path);
      closing(stream);
      units = format.open(input(stream, fs.getFileStatus(path).getLen(), blocks), start, end);
      opened(units);
    } catch (IOException | RuntimeException e) {
      failed(DocLine.quarantined(start, 0, new byte[0], "unreadable: " + GuardedLineReader.message(e)));
    }
  }

  @Override
  DocLine truncated(UncheckedIOException e) {
    return DocLine.quarantined(position(units, start), units.count(), new byte[0],
        "truncated: " + GuardedLineReader.message(e.getCause()));
  }

  @Override
  DocLine emitted(DocLine d) {
    emitted++;
    return d.inPart(split);
  }

  @Override
  void finished() {
    if (!reported) {
      reported = true;
      counts.add(new long[] {split, emitted});
    }
  }

  /** The file's bytes, decompressed ones when {@code blocks} is not null. */
  static RangeInput input(FSDataInputStream in, long length, BlockIndex blocks) {
    RangeInput raw = new Range(in, length);
    return blocks == null ? raw : blocks.input(raw);
  }

  /** A Hadoop stream as a {@link RangeInput}: each {@code openAt} seeks the one stream. */
  record Range(FSDataInputStream in, long length) implements RangeInput {
    @Override
    public InputStream openAt(long position) throws IOException {
      in.seek(position);
      return new FilterInputStream(in) {
        @Override
        public void close() {
          // the split closes the file
        }
      };
    }
  }
}
