package dev.sparseattn.pipeline;

import com.typesafe.config.ConfigFactory;
import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.datasets.shard.ShardReader;
import dev.sparseattn.datasets.shard.ShardRow;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.apache.hadoop.conf.Configuration;

/** The bundled sample corpus and helpers shared by the pipeline tests. */
final class TestCorpus {
  private TestCorpus() {}

  /** data/sample/kjv-sample.txt.gz of the repository. */
  static Path sample() {
    String root = System.getProperty("project.root.dir", "..");
    Path p = Path.of(root, "data", "sample", "kjv-sample.txt.gz").toAbsolutePath().normalize();
    if (!Files.isRegularFile(p)) {
      throw new IllegalStateException("bundled sample not found: " + p);
    }
    return p;
  }

  /** The decompressed bytes of the sample. */
  static byte[] sampleBytes() throws IOException {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(sample()))) {
      return in.readAllBytes();
    }
  }

  /** The lines of LF-terminated text as Hadoop's LineRecordReader returns them (terminators dropped). */
  static List<byte[]> lines(byte[] text) {
    List<byte[]> lines = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < text.length; i++) {
      if (text[i] == '\n') {
        lines.add(Arrays.copyOfRange(text, start, i));
        start = i + 1;
      }
    }
    if (start < text.length) {
      lines.add(Arrays.copyOfRange(text, start, text.length));
    }
    return lines;
  }

  /** A {@code prepare} config from HOCON assignments (strings must be quoted by the caller). */
  static PrepareConfig config(String input, String output, String... assignments) {
    String text = "prepare { input = [\"" + input + "\"], output = \"" + output + "\"\n"
        + String.join("\n", assignments) + "\n}";
    return PrepareConfig.parse(ConfigFactory.parseString(text).resolve());
  }

  /** All rows of a split, in shard and file order. */
  static List<ShardRow> rows(PreparedDataset data, Split split) throws IOException {
    List<ShardRow> rows = new ArrayList<>();
    for (org.apache.hadoop.fs.Path shard : data.shardPaths(split)) {
      try (ShardReader r = data.openShard(shard)) {
        r.forEachRemaining(rows::add);
      }
    }
    return rows;
  }

  static PreparedDataset open(String dir, Configuration conf) {
    return PreparedDataset.open(dir, conf);
  }
}
