package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.read.DocLine;
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
 * and one chunk, {@code (file index, 0)}; a file that cannot be read to its end (truncated gzip) or is
 * empty is quarantined whole.
 */
final class FileSource {
  private FileSource() {}

  static JavaPairRDD<ChunkId, DocLine> read(JavaSparkContext jsc, List<Path> files, DocCheck check) {
    List<String> paths = files.stream().map(Path::toString).toList();
    Broadcast<SerializableConfiguration> conf =
        jsc.broadcast(new SerializableConfiguration(jsc.hadoopConfiguration()));
    int partitions = Math.max(1, Math.min(paths.size(), 4 * jsc.defaultParallelism()));
    return jsc.parallelize(IntStream.range(0, paths.size()).boxed().toList(), partitions)
        .mapToPair(i -> new Tuple2<>(new ChunkId(i, 0),
            check.admit(paths.get(i), readDocument(new Path(paths.get(i)), conf.value().value()))));
  }

  /** The file as one document, or quarantined when it cannot be read to its end or is empty. */
  static DocLine readDocument(Path path, Configuration conf) throws IOException {
    byte[] bytes;
    try {
      bytes = readAll(path, conf);
    } catch (java.io.FileNotFoundException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      return DocLine.quarantined(0, 0, new byte[0], "truncated: " + GuardedLineReader.message(e));
    }
    return bytes.length == 0 ? DocLine.quarantined(0, 0, bytes, "empty-file: 0 bytes")
        : DocLine.document(0, 0, bytes, 1, null);
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
