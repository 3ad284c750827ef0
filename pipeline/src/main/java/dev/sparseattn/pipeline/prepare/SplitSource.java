package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.read.BlockIndex;
import dev.sparseattn.datasets.read.DocLine;
import dev.sparseattn.datasets.read.RecordFormat;
import dev.sparseattn.datasets.read.ScannedSplitFormat;
import dev.sparseattn.datasets.read.SplittableFormat;
import java.io.IOException;
import java.io.Serializable;
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
 * {@code prepare.split-size} in a {@link SplittableFormat} (FASTQ, JSON lines, paragraph text) or a
 * {@link ScannedSplitFormat} (FASTA) is cut into byte ranges of that size (the last one up to 10% longer,
 * {@link #cuts}), each read by its own task
 * ({@link SplitUnits}); every other file (shorter, compressed, or in a format that cannot be split) is
 * streamed whole by one task ({@link StreamSource.Guarded}). A two-pass format's parts are first
 * scanned by one task each (a Spark job of its own; each sends the driver a summary of a few numbers
 * and at most one header), the summaries chained on the driver into each part's starting state; a
 * file whose scan fails is read whole (and its failure quarantined there). Compressed files are not
 * split because a task starting inside a gzip (or zstd) stream cannot decode it, and offsets must be
 * decompressed ones, except block-compressed files (BGZF gzip and bzip2), indexed first
 * ({@link BlockSplits}): they are split in decompressed bytes like uncompressed files.
 * Units are admitted and keyed by chunk {@code (file, offset / chunkBytes)} exactly as for whole files,
 * so the packed output does not depend on the split size.
 */
final class SplitSource {
  /** A last split may be this many times the split size (Hadoop's {@code FileInputFormat.SPLIT_SLOP}). */
  static final double SPLIT_SLOP = 1.1;

  private SplitSource() {}

  static ReadUnits read(JavaSparkContext jsc, List<Path> files, long chunkBytes, long splitSize,
      RecordFormat format, DocCheck check) {
    Configuration hadoop = jsc.hadoopConfiguration();
    CompressionCodecFactory codecs = new CompressionCodecFactory(hadoop);
    boolean splittable = format instanceof SplittableFormat || format instanceof ScannedSplitFormat;
    List<String> paths = files.stream().map(Path::toString).toList();
    Broadcast<SerializableConfiguration> conf = jsc.broadcast(new SerializableConfiguration(hadoop));
    List<BlockIndex> blocks = splittable ? BlockSplits.index(jsc, paths, conf, splitSize)
        : java.util.Collections.nCopies(files.size(), null);
    List<long[]> candidates = new ArrayList<>(); // {file, start, end}, in decompressed bytes
    for (int i = 0; i < files.size(); i++) {
      Path p = files.get(i);
      BlockIndex index = blocks.get(i);
      if (index != null) {
        long[] d = index.decompressed();
        for (int k = 0; k < d.length; k++) {
          long end = k + 1 < d.length ? d[k + 1] : index.length();
          if (d[k] < end) {
            candidates.add(new long[] {i, d[k], end});
          }
        }
        continue;
      }
      long length = splittable && codecs.getCodec(p) == null ? length(p, hadoop) : 0;
      if (length > splitSize) {
        long[] cuts = cuts(length, splitSize);
        for (int k = 0; k + 1 < cuts.length; k++) {
          candidates.add(new long[] {i, cuts[k], cuts[k + 1]});
        }
      }
    }
    Broadcast<List<BlockIndex>> views = jsc.broadcast(new ArrayList<>(blocks));
    List<Serializable> starts = format instanceof ScannedSplitFormat<?, ?> scanned && !candidates.isEmpty()
        ? scan(jsc, paths, conf, views, scanned, candidates) : null;
    List<long[]> ranges = new ArrayList<>(); // {file, start, end, split (-1: whole file)}
    List<Integer> splitFile = new ArrayList<>();
    List<Serializable> splitStarts = new ArrayList<>();
    int c = 0;
    for (int i = 0; i < files.size(); i++) {
      int first = c;
      while (c < candidates.size() && candidates.get(c)[0] == i) {
        c++;
      }
      boolean scanFailed = starts != null && IntStream.range(first, c).anyMatch(k -> starts.get(k) == null);
      if (c == first || scanFailed) {
        ranges.add(new long[] {i, 0, 0, -1});
        continue;
      }
      for (int k = first; k < c; k++) {
        long[] r = candidates.get(k);
        ranges.add(new long[] {i, r[1], r[2], splitFile.size()});
        splitFile.add(i);
        splitStarts.add(starts == null ? null : starts.get(k));
      }
    }
    Broadcast<List<Serializable>> startOf = jsc.broadcast(splitStarts);
    CollectionAccumulator<long[]> counts = jsc.sc().collectionAccumulator("records per input split");
    JavaPairRDD<ChunkId, DocLine> units = jsc.parallelize(IntStream.range(0, ranges.size()).boxed().toList(),
            Math.max(1, ranges.size()))
        .flatMapToPair(k -> {
          long[] r = ranges.get(k);
          int file = (int) r[0];
          String path = paths.get(file);
          Iterator<DocLine> read = r[3] < 0 ? new StreamSource.Guarded(new Path(path), conf.value().value(), format)
              : new SplitUnits(new Path(path), conf.value().value(), views.value().get(file), opener(format, startOf.value().get((int) r[3])),
                  r[1], r[2], (int) r[3], counts);
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

  @SuppressWarnings("unchecked")
  private static SplitUnits.Opener opener(RecordFormat format, Serializable start) {
    if (format instanceof ScannedSplitFormat<?, ?> scanned) {
      ScannedSplitFormat<Serializable, Serializable> f = (ScannedSplitFormat<Serializable, Serializable>) scanned;
      return (file, s, e) -> f.openSplit(file, s, e, start);
    }
    return ((SplittableFormat) format)::openSplit;
  }

  /**
   * Pass one of a two-pass format: every candidate split scanned by its own task, the summaries
   * chained per file on the driver into each split's starting state (null for every split of a file
   * one of whose scans failed).
   */
  @SuppressWarnings("unchecked")
  private static List<Serializable> scan(JavaSparkContext jsc, List<String> paths,
      Broadcast<SerializableConfiguration> conf, Broadcast<List<BlockIndex>> views, ScannedSplitFormat<?, ?> scanned,
      List<long[]> candidates) {
    ScannedSplitFormat<Serializable, Serializable> format = (ScannedSplitFormat<Serializable, Serializable>) scanned;
    List<Serializable> parts = jsc.parallelize(candidates, candidates.size()).map(r -> {
      Path path = new Path(paths.get((int) r[0]));
      org.apache.hadoop.fs.FileSystem fs = path.getFileSystem(conf.value().value());
      try (org.apache.hadoop.fs.FSDataInputStream in = fs.open(path)) {
        return format.scan(SplitUnits.input(in, fs.getFileStatus(path).getLen(), views.value().get((int) r[0])),
            r[1], r[2]);
      } catch (IOException | RuntimeException e) {
        return (Serializable) null; // the file is read whole, where the failure is quarantined
      }
    }).collect();
    List<Serializable> starts = new ArrayList<>(candidates.size());
    for (int first = 0; first < candidates.size(); ) {
      int end = first;
      while (end < candidates.size() && candidates.get(end)[0] == candidates.get(first)[0]) {
        end++;
      }
      List<Serializable> fileParts = parts.subList(first, end);
      if (fileParts.contains(null)) {
        fileParts.forEach(p -> starts.add(null));
      } else {
        starts.addAll(format.starts(fileParts));
      }
      first = end;
    }
    return starts;
  }

  /**
   * The edges of the splits of a file of {@code length} bytes: {@code splitSize} each, the last one
   * taking a remainder of up to 10% of the split size (Hadoop's {@code FileInputFormat.SPLIT_SLOP}), so
   * a file just over a multiple of the split size gets no near-empty task of its own.
   */
  static long[] cuts(long length, long splitSize) {
    List<Long> edges = new ArrayList<>(List.of(0L));
    long s = 0;
    while ((double) (length - s) / splitSize > SPLIT_SLOP) {
      s += splitSize;
      edges.add(s);
    }
    if (s < length) {
      edges.add(length);
    }
    return edges.stream().mapToLong(Long::longValue).toArray();
  }

  private static long length(Path p, Configuration conf) {
    try {
      return p.getFileSystem(conf).getFileStatus(p).getLen();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the length of " + p, e);
    }
  }
}
