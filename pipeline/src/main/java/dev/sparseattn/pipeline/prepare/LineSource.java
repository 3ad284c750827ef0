package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.read.DocLine;
import java.io.IOException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.mapreduce.InputSplit;
import org.apache.hadoop.mapreduce.Job;
import org.apache.hadoop.mapreduce.lib.input.FileInputFormat;
import org.apache.hadoop.mapreduce.lib.input.FileSplit;
import org.apache.spark.api.java.JavaNewHadoopRDD;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;
import scala.Tuple2;

/**
 * Documents for {@code document = line}: every line of every input file, keyed by its packing chunk;
 * lines that fail their admission check, and the point where a file stopped reading (truncated) or
 * an empty file, are keyed the same way as quarantined units.
 */
final class LineSource {
  private LineSource() {}

  /**
   * Reads the lines of {@code files} (qualified paths; the index in the list is the file index) but
   * those whose index is in {@code elsewhere} (read by {@link BlockLineSource}).
   */
  static JavaPairRDD<ChunkId, DocLine> read(JavaSparkContext jsc, List<Path> files, long chunkBytes,
      DocCheck check, java.util.Set<Integer> elsewhere) {
    List<Path> here = java.util.stream.IntStream.range(0, files.size()).filter(i -> !elsewhere.contains(i))
        .mapToObj(files::get).toList();
    if (here.isEmpty()) {
      return jsc.parallelizePairs(List.<Tuple2<ChunkId, DocLine>>of(), 1);
    }
    Job job;
    try {
      job = Job.getInstance(new Configuration(jsc.hadoopConfiguration()));
      FileInputFormat.setInputPaths(job, here.toArray(Path[]::new));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    JavaPairRDD<LongWritable, RawLine> raw = jsc.newAPIHadoopRDD(job.getConfiguration(),
        OffsetStableTextInputFormat.class, LongWritable.class, RawLine.class);
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < files.size(); i++) {
      index.put(files.get(i).toString(), i);
    }
    Broadcast<Map<String, Integer>> fileIndex = jsc.broadcast(index);
    return JavaPairRDD.fromJavaRDD(((JavaNewHadoopRDD<LongWritable, RawLine>) raw)
        .mapPartitionsWithInputSplit(new KeyByChunk(fileIndex, chunkBytes, check), false));
  }

  /**
   * Zero-byte files as quarantined units: Spark drops their empty input splits
   * ({@code spark.hadoopRDD.ignoreEmptySplits}), so the driver accounts for them from their length.
   */
  static JavaPairRDD<ChunkId, DocLine> emptyFiles(JavaSparkContext jsc, List<Path> files, DocCheck check) {
    List<Tuple2<ChunkId, DocLine>> empty = new java.util.ArrayList<>();
    for (int i = 0; i < files.size(); i++) {
      Path p = files.get(i);
      try {
        if (p.getFileSystem(jsc.hadoopConfiguration()).getFileStatus(p).getLen() == 0) {
          DocLine unit = DocLine.quarantined(0, -1, new byte[0], "empty-file: 0 bytes");
          empty.add(new Tuple2<>(new ChunkId(i, 0), check.admit(p.toString(), unit)));
        }
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    return jsc.parallelizePairs(empty, 1);
  }

  /** Keys each line of a split by (file index, offset / chunkBytes), after its admission check. */
  private static final class KeyByChunk implements
      Function2<InputSplit, Iterator<Tuple2<LongWritable, RawLine>>, Iterator<Tuple2<ChunkId, DocLine>>> {
    private static final long serialVersionUID = 1L;
    private final Broadcast<Map<String, Integer>> fileIndex;
    private final long chunkBytes;
    private final DocCheck check;

    KeyByChunk(Broadcast<Map<String, Integer>> fileIndex, long chunkBytes, DocCheck check) {
      this.fileIndex = fileIndex;
      this.chunkBytes = chunkBytes;
      this.check = check;
    }

    @Override
    public Iterator<Tuple2<ChunkId, DocLine>> call(InputSplit split, Iterator<Tuple2<LongWritable, RawLine>> lines) {
      Path path = ((FileSplit) split).getPath();
      Integer file = fileIndex.value().get(path.toString());
      if (file == null) {
        throw new IllegalStateException("split of unexpected file " + path + "; inputs are "
            + fileIndex.value().keySet());
      }
      return new Iterator<>() {
        @Override
        public boolean hasNext() {
          return lines.hasNext();
        }

        @Override
        public Tuple2<ChunkId, DocLine> next() {
          Tuple2<LongWritable, RawLine> line = lines.next();
          long offset = line._1().get();
          RawLine raw = line._2();
          DocLine d = raw.error() == null ? new DocLine(offset, raw.bytes())
              : DocLine.quarantined(offset, -1, raw.bytes(), raw.error());
          return new Tuple2<>(new ChunkId(file, offset / chunkBytes), check.admit(path.toString(), d));
        }
      };
    }
  }
}
