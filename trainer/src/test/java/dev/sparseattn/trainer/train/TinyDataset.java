package dev.sparseattn.trainer.train;

import dev.sparseattn.datasets.manifest.InputInfo;
import dev.sparseattn.datasets.manifest.Manifest;
import dev.sparseattn.datasets.manifest.ShardInfo;
import dev.sparseattn.datasets.manifest.SplitInfo;
import dev.sparseattn.datasets.shard.FileDigest;
import dev.sparseattn.datasets.shard.ShardRow;
import dev.sparseattn.datasets.shard.ShardWriter;
import dev.sparseattn.datasets.tokenize.ByteTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * Writes a small prepared dataset (real Parquet shards and a real manifest, byte tokenizer) without
 * Spark, so trainer tests do not depend on the pipeline module. Lines are documents; the stream of
 * documents and EOS ids is cut into rows of L+1 ids with stride L; every {@code validationEvery}-th
 * row goes to validation.
 */
public final class TinyDataset {
  private TinyDataset() {}

  public static Manifest write(java.nio.file.Path dir, List<String> lines, int seqLen, int validationEvery)
      throws IOException {
    return write(dir, lines, seqLen, validationEvery, Integer.MAX_VALUE);
  }

  /** As above, with at most {@code rowsPerShard} rows in each shard file. */
  public static Manifest write(java.nio.file.Path dir, List<String> lines, int seqLen, int validationEvery,
                        int rowsPerShard) throws IOException {
    ByteTokenizer tok = new ByteTokenizer();
    List<Integer> stream = new ArrayList<>();
    long bytes = 0;
    for (String line : lines) {
      byte[] b = line.getBytes(StandardCharsets.UTF_8);
      bytes += b.length;
      for (int id : tok.encodeUtf8(b)) {
        stream.add(id);
      }
      stream.add(tok.eosId());
    }
    List<int[]> train = new ArrayList<>();
    List<int[]> validation = new ArrayList<>();
    for (int start = 0, i = 0; start < stream.size() - 1; start += seqLen, i++) {
      int[] row = new int[seqLen + 1];
      Arrays.fill(row, tok.padId());
      for (int j = 0; j <= seqLen && start + j < stream.size(); j++) {
        row[j] = stream.get(start + j);
      }
      (i % validationEvery == validationEvery - 1 ? validation : train).add(row);
    }
    Configuration conf = new Configuration();
    SplitInfo trainInfo = writeSplit(dir, "train", train, seqLen, rowsPerShard, tok, conf);
    SplitInfo validationInfo = writeSplit(dir, "validation", validation, seqLen, rowsPerShard, tok, conf);
    Manifest m = new Manifest(Manifest.SCHEMA_VERSION, "TinyDataset", tok.describe(), seqLen, "line",
        lines.size(), bytes, stream.size(), 1, List.of(new InputInfo("memory", lines.size(), bytes)),
        Map.of("train", trainInfo, "validation", validationInfo), Map.of());
    m.write(dir.toUri().toString(), conf);
    return m;
  }

  private static SplitInfo writeSplit(java.nio.file.Path dir, String split, List<int[]> rows, int seqLen,
                                      int rowsPerShard, ByteTokenizer tok, Configuration conf) throws IOException {
    long[] histogram = new long[tok.vocabSize()];
    long tokens = 0;
    List<ShardInfo> shards = new ArrayList<>();
    for (int first = 0; first < rows.size(); first += rowsPerShard) {
      String name = String.format("%s/shard-%05d.parquet", split, shards.size());
      Path file = new Path(dir.toUri().toString(), name);
      int end = (int) Math.min(rows.size(), (long) first + rowsPerShard);
      try (ShardWriter w = ShardWriter.create(file, conf, seqLen + 1)) {
        for (int i = first; i < end; i++) {
          int[] row = rows.get(i);
          int n = (int) Arrays.stream(row).filter(id -> id != tok.padId()).count();
          Arrays.stream(row).filter(id -> id != tok.padId()).forEach(id -> histogram[id]++);
          tokens += n;
          w.write(i, row, n, ShardRow.segments(row, n, tok.eosId()));
        }
      }
      long size = file.getFileSystem(conf).getFileStatus(file).getLen();
      shards.add(new ShardInfo(name, end - first, size, FileDigest.sha256(file, conf), first));
    }
    return new SplitInfo(rows.size(), rows.size(), tokens, shards, histogram);
  }
}
