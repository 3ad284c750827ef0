package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.read.BlockIndex;
import dev.sparseattn.datasets.read.Bgzf;
import dev.sparseattn.datasets.read.Bzip2;
import dev.sparseattn.datasets.read.RangeInput;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.compress.BZip2Codec;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.apache.hadoop.io.compress.GzipCodec;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.SerializableConfiguration;

/**
 * The block-compressed inputs longer than the split size, indexed for reading in splits: BGZF gzip
 * files ({@link Bgzf}) and bzip2 files ({@link Bzip2}). Their compressed bytes are cut into ranges of
 * the split size; one task per range finds the first block starting in it and adds up the
 * decompressed sizes of the blocks starting in it (BGZF: from the block trailers, nothing inflated;
 * bzip2: by decompressing them, each block's CRC checked), and the driver chains the sums into each
 * range's decompressed start ({@link BlockIndex}). The decompressed ranges are then split like an
 * uncompressed file's. A file whose indexing fails (corrupt or truncated) is read whole, where the
 * failure is quarantined.
 */
final class BlockSplits {
  private BlockSplits() {}

  /** Per file: its index if it is a BGZF or bzip2 file longer than {@code splitSize}, else null. */
  static List<BlockIndex> index(JavaSparkContext jsc, List<String> paths, Broadcast<SerializableConfiguration> conf,
      long splitSize) {
    Configuration hadoop = jsc.hadoopConfiguration();
    CompressionCodecFactory codecs = new CompressionCodecFactory(hadoop);
    List<long[]> ranges = new ArrayList<>(); // {file, start, end, codec ordinal}
    for (int i = 0; i < paths.size(); i++) {
      Path p = new Path(paths.get(i));
      CompressionCodec codec = codecs.getCodec(p);
      if (!(codec instanceof GzipCodec) && !(codec instanceof BZip2Codec)) {
        continue;
      }
      try {
        FileSystem fs = p.getFileSystem(hadoop);
        long length = fs.getFileStatus(p).getLen();
        if (length <= splitSize) {
          continue;
        }
        BlockIndex.Codec kind;
        try (InputStream in = fs.open(p)) {
          kind = codec instanceof GzipCodec ? (Bgzf.isBgzf(in) ? BlockIndex.Codec.BGZF : null)
              : Bzip2.isBzip2(in) ? BlockIndex.Codec.BZIP2 : null;
        }
        if (kind == null) {
          continue; // plain gzip, or not bzip2 at all: one task reads it whole (and quarantines what fails)
        }
        for (long s = 0; s < length; s += splitSize) {
          ranges.add(new long[] {i, s, Math.min(length, s + splitSize), kind.ordinal()});
        }
      } catch (IOException e) {
        // read whole, where the failure to open it is quarantined
      }
    }
    BlockIndex[] index = new BlockIndex[paths.size()];
    if (ranges.isEmpty()) {
      return Arrays.asList(index);
    }
    List<long[]> blocks = jsc.parallelize(ranges, ranges.size()).map(r -> {
      Path path = new Path(paths.get((int) r[0]));
      FileSystem fs = path.getFileSystem(conf.value().value());
      try (FSDataInputStream in = fs.open(path)) {
        RangeInput raw = new SplitUnits.Range(in, fs.getFileStatus(path).getLen());
        if (BlockIndex.Codec.values()[(int) r[3]] == BlockIndex.Codec.BZIP2) {
          return Bzip2.blocks(raw, r[1], r[2]);
        }
        return Bgzf.blocks(raw, Bgzf.nextBlockStart(raw, r[1]), r[2]);
      } catch (IOException | RuntimeException e) {
        return null;
      }
    }).collect();
    for (int k = 0; k < ranges.size(); ) {
      int file = (int) ranges.get(k)[0];
      int end = k;
      while (end < ranges.size() && ranges.get(end)[0] == file) {
        end++;
      }
      List<long[]> fileBlocks = blocks.subList(k, end);
      try {
        index[file] = fileBlocks.contains(null) ? null
            : BlockIndex.chain(BlockIndex.Codec.values()[(int) ranges.get(k)[3]], fileBlocks, ranges.get(end - 1)[2]);
      } catch (IOException e) {
        index[file] = null; // read whole, where the corruption is quarantined
      }
      k = end;
    }
    return Arrays.asList(index);
  }
}
