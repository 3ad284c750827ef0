package dev.sparseattn.pipeline.prepare;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.SerializableConfiguration;
import scala.Tuple2;

/**
 * Documents for {@code document = file}: each input file's exact decompressed bytes are one document
 * and one chunk, {@code (file index, 0)}.
 */
final class FileSource {
  private FileSource() {}

  static JavaPairRDD<ChunkId, DocLine> read(JavaSparkContext jsc, List<Path> files) {
    List<String> paths = files.stream().map(Path::toString).toList();
    Broadcast<SerializableConfiguration> conf =
        jsc.broadcast(new SerializableConfiguration(jsc.hadoopConfiguration()));
    int partitions = Math.max(1, Math.min(paths.size(), 4 * jsc.defaultParallelism()));
    return jsc.parallelize(IntStream.range(0, paths.size()).boxed().toList(), partitions)
        .mapToPair(i -> new Tuple2<>(new ChunkId(i, 0),
            new DocLine(0, readAll(new Path(paths.get(i)), conf.value().value()))));
  }

  /** The decompressed content of a file (codec chosen by extension, as TextInputFormat does). */
  static byte[] readAll(Path path, Configuration conf) throws IOException {
    FileSystem fs = path.getFileSystem(conf);
    CompressionCodec codec = new CompressionCodecFactory(conf).getCodec(path);
    try (InputStream raw = fs.open(path);
         InputStream in = codec == null ? raw : codec.createInputStream(raw)) {
      return in.readAllBytes();
    }
  }
}
