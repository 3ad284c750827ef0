package dev.sparseattn.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.config.Cli;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A job's configuration file read from HDFS (a MiniDFSCluster), like its data, through the real CLI. */
class ConfigOnHdfsTest {
  @TempDir static Path tmp;
  static MiniDFSCluster hdfs;
  static String root;

  @BeforeAll
  static void startHdfs() throws IOException {
    Configuration conf = new Configuration();
    conf.setInt("dfs.replication", 1);
    hdfs = new MiniDFSCluster.Builder(conf, tmp.resolve("hdfs").toFile()).numDataNodes(1).build();
    hdfs.waitActive();
    root = hdfs.getFileSystem().getUri().toString();
    FileSystem fs = hdfs.getFileSystem();
    try (OutputStream out = fs.create(new org.apache.hadoop.fs.Path("/jobs/prepare.conf"))) {
      out.write(("prepare {\n  input = [\"" + root + "/corpora/*.txt\"]\n  output = \"" + root + "/datasets/x\"\n"
          + "  seq-len = 64\n}\ntrain { data = ${prepare.output}, output = /models/x }\n").getBytes(StandardCharsets.UTF_8));
    }
  }

  @AfterAll
  static void stopHdfs() {
    if (hdfs != null) {
      hdfs.shutdown();
    }
  }

  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int cli(AtomicReference<PrepareConfig> got, String... args) {
    return Cli.execute("prepare", args, PrepareConfig::parse, got::set, System.out,
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void configFileOnHdfsWithOverrides() {
    AtomicReference<PrepareConfig> got = new AtomicReference<>();
    assertEquals(0, cli(got, root + "/jobs/prepare.conf", "prepare.validation-fraction=0.2"),
        err.toString(StandardCharsets.UTF_8));
    PrepareConfig c = got.get();
    assertEquals(64, c.seqLen());
    assertEquals(0.2, c.validationFraction());
    assertEquals(root + "/datasets/x", c.output());
    assertEquals(java.util.List.of(root + "/corpora/*.txt"), c.input());
  }

  @Test
  void missingOrMisspelledOnHdfsIsOneLine() {
    AtomicReference<PrepareConfig> got = new AtomicReference<>();
    assertEquals(2, cli(got, root + "/jobs/absent.conf"));
    assertEquals("prepare: configuration error: " + root + "/jobs/absent.conf: config file not found",
        err.toString(StandardCharsets.UTF_8).trim());
    err.reset();
    assertEquals(2, cli(got, root + "/jobs/prepare.conf", "prepar.seq-len=128"));
    assertTrue(err.toString(StandardCharsets.UTF_8).startsWith(
        "prepare: configuration error: prepar: unknown top-level section (did you mean 'prepare'?)"),
        err.toString(StandardCharsets.UTF_8));
    assertEquals(null, got.get());
  }
}
