package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.read.DocLine;
import dev.sparseattn.datasets.read.RecordFormat;
import dev.sparseattn.datasets.read.SplittableFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.SerializableConfiguration;
import scala.Tuple2;

/**
 * Units of the streamed record formats, one task per split: an uncompressed file longer than
 * {@code prepare.split-size} in a {@link SplittableFormat} (FASTQ, JSON lines, paragraph text) is cut
 * into byte ranges of that size, each read by its own task ({@link SplitUnits}); every other file
 * (shorter, compressed, or in a format that cannot be split) is streamed whole by one task
 * ({@link StreamSource.Guarded}). Compressed files are not split because a task starting inside a
 * gzip (or zstd) stream cannot decode it, and offsets must be decompressed ones (bzip2 blocks can be
 * decoded from the middle, but not their decompressed offsets). Units are admitted and keyed by chunk
 * {@code (file, offset / chunkBytes)} exactly as for whole files, so the packed output does not
 * depend on the split size.
 */
final class SplitSource {
  private SplitSource() {}

  static ReadUnits read(JavaSparkContext jsc, List<Path> files, long chunkBytes, long splitSize,
      RecordFormat format, DocCheck check) {
    Configuration hadoop = jsc.hadoopConfiguration();
    CompressionCodecFactory codecs = new CompressionCodecFactory(hadoop);
    List<String> paths = files.stream().map(Path::toString).toList();
    List<long[]> ranges = new ArrayList<>(); // {file, start, end, split (-1: whole file)}
    List<Integer> splitFile = new ArrayList<>();
    for (int i = 0; i < files.size(); i++) {
      Path p = files.get(i);
      long length = format instanceof SplittableFormat && codecs.getCodec(p) == null ? length(p, hadoop) : 0;
      if (length > splitSize) {
        for (long s = 0; s < length; s += splitSize) {
          ranges.add(new long[] {i, s, Math.min(length, s + splitSize), splitFile.size()});
          splitFile.add(i);
        }
      } else {
        ranges.add(new long[] {i, 0, 0, -1});
      }
    }
    CollectionAccumulator<long[]> counts = jsc.sc().collectionAccumulator("records per input split");
    Broadcast<SerializableConfiguration> conf = jsc.broadcast(new SerializableConfiguration(hadoop));
    JavaPairRDD<ChunkId, DocLine> units = jsc.parallelize(IntStream.range(0, ranges.size()).boxed().toList(),
            Math.max(1, ranges.size()))
        .flatMapToPair(k -> {
          long[] r = ranges.get(k);
          int file = (int) r[0];
          String path = paths.get(file);
          Iterator<DocLine> read = r[3] < 0 ? new StreamSource.Guarded(new Path(path), conf.value().value(), format)
              : new SplitUnits(new Path(path), conf.value().value(), (SplittableFormat) format, r[1], r[2], (int) r[3],
                  counts);
          return new Iterator<Tuple2<ChunkId, DocLine>>() {
            @Override
            public boolean hasNext() {
              return read.hasNext();
            }

            @Override
            public Tuple2<ChunkId, DocLine> next() {
              DocLine d = check.admit(path, read.next());
              return new Tuple2<>(new ChunkId(file, d.offset() / chunkBytes), d);
            }
          };
        });
    return new ReadUnits(units, splitFile.stream().mapToInt(Integer::intValue).toArray(), counts);
  }

  private static long length(Path p, Configuration conf) {
    try {
      return p.getFileSystem(conf).getFileStatus(p).getLen();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the length of " + p, e);
    }
  }
}
