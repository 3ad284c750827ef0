package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.datasets.shard.ShardRow;
import dev.sparseattn.datasets.shard.ShardWriter;
import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.SerializableConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * Writes the rows of one partition (= one shard, rows sorted by seq_id; ids as {@link TokenBytes}) to
 * {@code <output>/<split>/shard-NNNNN.parquet}: first to a hidden temporary name unique to the task
 * attempt, then renamed, so a retried or speculative attempt never leaves a half-written shard and
 * always ends with the same bytes. Reports rows, bytes, SHA-256, tokens and the token histogram.
 * Segment ids (the document index of each position, {@link ShardRow#segments}) are derived from the
 * EOS ids of each row when asked for.
 */
final class ShardTask implements Function2<Integer, Iterator<Tuple2<SeqKey, byte[]>>, Iterator<ShardStats>> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(ShardTask.class);

  private final String output;
  private final ShardPartitioner partitioner;
  private final int rowLength;
  private final int padId;
  private final int vocabSize;
  private final int segmentEos;
  private final Broadcast<SerializableConfiguration> conf;
  private final int width;

  /** {@code segmentEos}: the EOS id that separates segments, or -1 to write no segment ids. */
  ShardTask(String output, ShardPartitioner partitioner, int rowLength, int padId, int vocabSize, int segmentEos,
      Broadcast<SerializableConfiguration> conf) {
    this.output = output;
    this.partitioner = partitioner;
    this.rowLength = rowLength;
    this.padId = padId;
    this.vocabSize = vocabSize;
    this.segmentEos = segmentEos;
    this.conf = conf;
    this.width = TokenBytes.width(vocabSize);
  }

  /** Relative path of a shard file inside the dataset directory. */
  static String shardPath(Split split, int shard) {
    return String.format("%s/shard-%05d.parquet", split.id(), shard);
  }

  @Override
  public Iterator<ShardStats> call(Integer partition, Iterator<Tuple2<SeqKey, byte[]>> rows) throws IOException {
    int split = partitioner.splitOf(partition);
    int shard = partition - partitioner.firstPartition(split);
    String relative = shardPath(Split.values()[split], shard);
    Path target = new Path(output, relative);
    TaskContext task = TaskContext.get();
    long attempt = task == null ? 0 : task.taskAttemptId();
    Path tmp = new Path(target.getParent(), "." + target.getName() + "." + attempt + ".tmp");
    Configuration hadoop = conf.value().value();

    long[] histogram = new long[vocabSize];
    long tokens = 0;
    long firstSeqId = -1;
    long count = 0;
    ShardWriter writer = ShardWriter.create(tmp, hadoop, rowLength);
    try (writer) {
      while (rows.hasNext()) {
        Tuple2<SeqKey, byte[]> row = rows.next();
        long seqId = row._1().seqId();
        int[] ids = TokenBytes.decode(row._2(), width);
        if (count == 0) {
          firstSeqId = seqId;
        } else if (seqId != firstSeqId + count) {
          throw new IllegalStateException(relative + ": seq_id " + seqId + " after " + (firstSeqId + count - 1));
        }
        int nonPad = 0;
        for (int id : ids) {
          if (id != padId) {
            histogram[id]++;
            nonPad++;
          }
        }
        writer.write(seqId, ids, nonPad, segmentEos < 0 ? null : ShardRow.segments(ids, nonPad, segmentEos));
        tokens += nonPad;
        count++;
      }
    }
    String sha256 = writer.sha256();
    long bytes = writer.bytes();
    publish(tmp.getFileSystem(hadoop), tmp, target);
    LOG.info("wrote {} ({} rows, {} bytes)", target, count, bytes);
    return List.of(new ShardStats(split, shard, relative, count, bytes, sha256, firstSeqId, tokens, histogram))
        .iterator();
  }

  /** Moves the finished temporary file to its final name, replacing an earlier attempt's copy. */
  private static void publish(FileSystem fs, Path tmp, Path target) throws IOException {
    if (fs.exists(target)) {
      fs.delete(target, false);
    }
    if (!fs.rename(tmp, target)) {
      if (!fs.exists(target)) {
        throw new IOException("cannot rename " + tmp + " to " + target);
      }
      // A concurrent attempt of this task published first; its bytes are the same as ours.
      fs.delete(tmp, false);
    }
  }
}
