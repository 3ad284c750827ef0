package dev.sparseattn.datasets.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same rows written by different JVMs give byte-identical files. Without the footer normalization
 * parquet-mr's HashSet-ordered encoding lists made files from separate processes differ.
 */
class ShardDeterminismTest {
  @TempDir java.nio.file.Path tmp;

  /** Child process: writes the test rows to {@code args[0]}. */
  public static void main(String[] args) throws IOException {
    write(new Path(new File(args[0]).toURI()));
  }

  private static void write(Path path) throws IOException {
    List<ShardRow> rows = ShardRoundTripTest.rows(2000, 11);
    try (ShardWriter w = ShardWriter.create(path, new Configuration(), ShardRoundTripTest.ROW)) {
      for (ShardRow row : rows) {
        w.write(row.seqId(), row.tokens(), row.nTokens());
      }
    }
  }

  @Test
  void separateJvmsWriteIdenticalBytes() throws Exception {
    Configuration conf = new Configuration();
    Path here = new Path(tmp.resolve("here.parquet").toUri());
    write(here);
    Set<String> digests = new TreeSet<>();
    digests.add(FileDigest.sha256(here, conf));
    for (int i = 0; i < 3; i++) {
      java.nio.file.Path out = tmp.resolve("child-" + i + ".parquet");
      Process p = new ProcessBuilder(
          java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", System.getProperty("java.class.path"),
          ShardDeterminismTest.class.getName(), out.toString())
          .redirectErrorStream(true).redirectOutput(tmp.resolve("child-" + i + ".log").toFile()).start();
      assertEquals(0, p.waitFor(), Files.readString(tmp.resolve("child-" + i + ".log")));
      digests.add(FileDigest.sha256(new Path(out.toUri()), conf));
    }
    assertEquals(1, digests.size(), "one digest for four JVMs: " + digests);
  }
}
