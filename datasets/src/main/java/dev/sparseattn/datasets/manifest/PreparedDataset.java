package dev.sparseattn.datasets.manifest;

import dev.sparseattn.datasets.shard.ShardReader;
import dev.sparseattn.datasets.tokenize.Tokenizer;
import dev.sparseattn.datasets.tokenize.Tokenizers;
import java.io.IOException;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * A prepared dataset: its directory (qualified, any Hadoop file system) and its manifest, with the
 * shard files resolved against the directory.
 *
 * <pre>{@code
 * PreparedDataset data = PreparedDataset.open("hdfs://nn/data/kjv", conf);
 * for (Path shard : data.shardPaths(Split.TRAIN)) {
 *   try (ShardReader r = data.openShard(shard)) { ... }
 * }
 * }</pre>
 */
public record PreparedDataset(Path dir, Manifest manifest, Configuration hadoopConf) {

  /** Opens a dataset given as its directory or its manifest file; see {@link Manifest#read}. */
  public static PreparedDataset open(String uri, Configuration hadoopConf) {
    Path manifestPath = ManifestIo.manifestPath(uri, hadoopConf);
    return new PreparedDataset(manifestPath.getParent(), ManifestIo.read(manifestPath, hadoopConf), hadoopConf);
  }

  /** The shard files of a split, in seq_id order. */
  public List<Path> shardPaths(Split split) {
    return manifest.split(split).shards().stream().map(s -> new Path(dir, s.path())).toList();
  }

  /** Opens one shard file of this dataset. */
  public ShardReader openShard(Path shard) throws IOException {
    return ShardReader.open(shard, hadoopConf);
  }

  /** The tokenizer the dataset was prepared with. */
  public Tokenizer tokenizer() {
    return Tokenizers.fromManifest(manifest);
  }
}
