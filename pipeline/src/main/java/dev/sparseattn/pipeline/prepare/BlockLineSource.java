package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.read.BlockIndex;
import dev.sparseattn.datasets.read.DocLine;
import dev.sparseattn.datasets.read.HadoopLines;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.SerializableConfiguration;
import scala.Tuple2;

/**
 * Documents for {@code document = line}: block-compressed files (bzip2, BGZF) longer than the split
 * size are indexed ({@link BlockSplits}) and their decompressed bytes cut into ranges of the split
 * size, one task each, reading the lines that start in its range as Hadoop's line reader reads the
 * whole file ({@link HadoopLines}), so lines keep their decompressed offsets: Hadoop's own reading of a
 * split bzip2 file would key them by compressed block positions. Every other file (and a
 * block-compressed one whose indexing fails) is read by {@link LineSource}. A range whose reading
 * fails ends with one {@code truncated} unit, as {@link GuardedLineReader} does.
 */
final class BlockLineSource {
  private BlockLineSource() {}

  static JavaPairRDD<ChunkId, DocLine> read(JavaSparkContext jsc, List<Path> files, long chunkBytes, long splitSize,
      DocCheck check) {
    List<String> paths = files.stream().map(Path::toString).toList();
    Broadcast<SerializableConfiguration> conf = jsc.broadcast(new SerializableConfiguration(jsc.hadoopConfiguration()));
    List<BlockIndex> index = BlockSplits.index(jsc, paths, conf, splitSize);
    Set<Integer> indexed = new HashSet<>();
    List<long[]> ranges = new ArrayList<>(); // {file, start, end} in decompressed bytes
    for (int i = 0; i < files.size(); i++) {
      BlockIndex x = index.get(i);
      if (x == null) {
        continue;
      }
      indexed.add(i);
      long[] d = x.decompressed();
      for (int k = 0; k < d.length; k++) {
        long end = k + 1 < d.length ? d[k + 1] : x.length();
        if (d[k] < end) {
          ranges.add(new long[] {i, d[k], end});
        }
      }
    }
    JavaPairRDD<ChunkId, DocLine> rest = LineSource.read(jsc, files, chunkBytes, check, indexed);
    if (ranges.isEmpty()) {
      return rest;
    }
    Broadcast<List<BlockIndex>> views = jsc.broadcast(new ArrayList<>(index));
    JavaPairRDD<ChunkId, DocLine> split = jsc.parallelize(IntStream.range(0, ranges.size()).boxed().toList(),
        ranges.size()).flatMapToPair(k -> {
          long[] r = ranges.get(k);
          int file = (int) r[0];
          String path = paths.get(file);
          Iterator<DocLine> lines = new Lines(new Path(path), conf.value().value(), views.value().get(file), r[1], r[2]);
          return new Iterator<Tuple2<ChunkId, DocLine>>() {
            @Override
            public boolean hasNext() {
              return lines.hasNext();
            }

            @Override
            public Tuple2<ChunkId, DocLine> next() {
              DocLine d = check.admit(path, lines.next());
              return new Tuple2<>(new ChunkId(file, d.offset() / chunkBytes), d);
            }
          };
        });
    return rest.union(split);
  }

  /** The lines of one decompressed range; open and read failures end it with one quarantined unit. */
  private static final class Lines extends GuardedUnits {
    private long next;
    private long count;

    Lines(Path path, org.apache.hadoop.conf.Configuration conf, BlockIndex index, long start, long end) {
      next = start;
      try {
        FileSystem fs = path.getFileSystem(conf);
        FSDataInputStream stream = fs.open(path);
        closing(stream);
        opened(HadoopLines.split(index.input(new SplitUnits.Range(stream, fs.getFileStatus(path).getLen())), start, end));
      } catch (IOException | RuntimeException e) {
        failed(DocLine.quarantined(start, -1, new byte[0], "unreadable: " + GuardedLineReader.message(e)));
      }
    }

    @Override
    DocLine truncated(UncheckedIOException e) {
      return DocLine.quarantined(next, -1, new byte[0], "truncated: " + GuardedLineReader.message(e.getCause())
          + " after " + count + " line(s) of this split");
    }

    @Override
    DocLine emitted(DocLine d) {
      next = d.offset() + d.bytes().length + 1;
      count++;
      return d;
    }
  }
}
