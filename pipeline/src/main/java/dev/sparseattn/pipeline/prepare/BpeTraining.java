package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.read.DocLine;
import dev.sparseattn.datasets.tokenize.BpeTokenizer;
import dev.sparseattn.datasets.tokenize.BpeTrainer;
import dev.sparseattn.datasets.tokenize.ByteLevel;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaPairRDD;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * Trains the byte-level BPE of a preparation on its admitted documents: the cluster pre-tokenizes
 * every document (GPT-2's pattern), counts the pre-tokens within each partition and aggregates the
 * counts across partitions ({@code reduceByKey}); the driver then learns the merges incrementally over
 * the distinct pre-tokens ({@link BpeTrainer}). The result is saved as {@value #FILE} (Hugging Face
 * format) in the dataset directory.
 */
final class BpeTraining {
  private static final Logger LOG = LoggerFactory.getLogger(BpeTraining.class);
  /** The Hugging Face tokenizer file in the dataset directory. */
  static final String FILE = "tokenizer.json";

  private BpeTraining() {}

  static BpeTokenizer train(JavaPairRDD<ChunkId, DocLine> documents, BpeTrainer.Settings settings) {
    long start = System.nanoTime();
    Map<String, Long> counts = documents.values()
        .mapPartitionsToPair(BpeTraining::countPartition)
        .reduceByKey(Long::sum)
        .collectAsMap();
    long counted = System.nanoTime();
    BpeTokenizer tokenizer = BpeTrainer.train(counts, settings);
    LOG.info("prepare: BPE of {} ids from {} distinct pre-tokens: counting {} ms (cluster), merging {} ms (driver)",
        tokenizer.vocabSize(), counts.size(), (counted - start) / 1_000_000, (System.nanoTime() - counted) / 1_000_000);
    return tokenizer;
  }

  /** Pre-token counts of one partition's documents (combined locally before the shuffle). */
  private static Iterator<Tuple2<String, Long>> countPartition(Iterator<DocLine> docs) {
    Map<String, Long> local = new HashMap<>();
    while (docs.hasNext()) {
      DocLine d = docs.next();
      if (!d.bad()) {
        for (String piece : ByteLevel.split(new String(d.bytes(), StandardCharsets.UTF_8))) {
          local.merge(piece, 1L, Long::sum);
        }
      }
    }
    return local.entrySet().stream().map(e -> new Tuple2<>(e.getKey(), e.getValue())).iterator();
  }

  /** Writes {@value #FILE} into the dataset directory. */
  static void save(BpeTokenizer tokenizer, org.apache.hadoop.fs.Path output, Configuration conf) throws IOException {
    FileSystem fs = output.getFileSystem(conf);
    try (OutputStream out = fs.create(new Path(output, FILE), true)) {
      out.write(tokenizer.toHuggingFaceJson().getBytes(StandardCharsets.UTF_8));
    }
  }
}
