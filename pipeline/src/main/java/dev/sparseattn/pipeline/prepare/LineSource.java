package dev.sparseattn.pipeline.prepare;

import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
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

/** Documents for {@code document = line}: every line of every input file, keyed by its packing chunk. */
final class LineSource {
  private LineSource() {}

  /** Reads the lines of {@code files} (qualified paths; the index in the list is the file index). */
  static JavaPairRDD<ChunkId, DocLine> read(JavaSparkContext jsc, List<Path> files, long chunkBytes)
      throws IOException {
    Job job = Job.getInstance(new Configuration(jsc.hadoopConfiguration()));
    FileInputFormat.setInputPaths(job, files.toArray(Path[]::new));
    JavaPairRDD<LongWritable, Text> raw = jsc.newAPIHadoopRDD(job.getConfiguration(),
        OffsetStableTextInputFormat.class, LongWritable.class, Text.class);
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < files.size(); i++) {
      index.put(files.get(i).toString(), i);
    }
    Broadcast<Map<String, Integer>> fileIndex = jsc.broadcast(index);
    return JavaPairRDD.fromJavaRDD(((JavaNewHadoopRDD<LongWritable, Text>) raw)
        .mapPartitionsWithInputSplit(new KeyByChunk(fileIndex, chunkBytes), false));
  }

  /** Keys each line of a split by (file index, offset / chunkBytes); copies the reused Text bytes. */
  private static final class KeyByChunk implements
      Function2<InputSplit, Iterator<Tuple2<LongWritable, Text>>, Iterator<Tuple2<ChunkId, DocLine>>> {
    private static final long serialVersionUID = 1L;
    private final Broadcast<Map<String, Integer>> fileIndex;
    private final long chunkBytes;

    KeyByChunk(Broadcast<Map<String, Integer>> fileIndex, long chunkBytes) {
      this.fileIndex = fileIndex;
      this.chunkBytes = chunkBytes;
    }

    @Override
    public Iterator<Tuple2<ChunkId, DocLine>> call(InputSplit split, Iterator<Tuple2<LongWritable, Text>> lines) {
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
          Tuple2<LongWritable, Text> line = lines.next();
          long offset = line._1().get();
          byte[] bytes = Arrays.copyOf(line._2().getBytes(), line._2().getLength());
          return new Tuple2<>(new ChunkId(file, offset / chunkBytes), new DocLine(offset, bytes));
        }
      };
    }
  }
}
