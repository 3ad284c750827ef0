package dev.sparseattn.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrepareConfigTest {
  private static PrepareConfig parse(String text) {
    return PrepareConfig.parse(ConfigFactory.parseString(text).resolve());
  }

  @Test
  void defaults() {
    PrepareConfig c = parse("prepare { input = [\"hdfs://nn:8020/corpus/*.gz\"], output = \"/data/kjv\" }");
    assertEquals(List.of("hdfs://nn:8020/corpus/*.gz"), c.input(), "URIs are kept");
    assertEquals("/data/kjv", c.output(), "absolute paths stay on the default file system");
    assertEquals(TokenizerChoice.BYTE, c.tokenizer());
    assertEquals(DocumentMode.LINE, c.document());
    assertEquals(256, c.seqLen());
    assertEquals(0.05, c.validationFraction());
    assertEquals(4L << 20, c.chunkBytes());
    assertEquals(4096, c.rowsPerShard());
    assertFalse(c.overwrite());
    assertEquals(new PrepareConfig.SparkOptions("local[*]", "sparseattn-prepare"), c.spark());
    Map<String, Object> resolved = c.resolved().values();
    assertEquals(256, resolved.get("seq-len"));
    assertEquals(Map.of("master", "local[*]", "app-name", "sparseattn-prepare"), resolved.get("spark"));
    assertTrue(c.resolved().render().startsWith("prepare {"), c.resolved().render());
  }

  @Test
  void relativePathsAreLocalFilesUnderTheWorkingDirectory() {
    PrepareConfig c = parse("prepare { input = [\"data/x.txt.gz\", \"../y/*.txt\"], output = \"work/out\","
        + " document = file, chunk-bytes = \"64 KiB\", spark { master = \"local[2]\" } }");
    Path cwd = Path.of("").toAbsolutePath();
    assertEquals("file:" + cwd.resolve("data/x.txt.gz"), c.input().get(0));
    assertEquals("file:" + cwd.getParent().resolve("y/*.txt"), c.input().get(1), "normalized, glob kept");
    assertEquals("file:" + cwd.resolve("work/out"), c.output());
    assertEquals(DocumentMode.FILE, c.document());
    assertEquals(64 << 10, c.chunkBytes());
    assertEquals("local[2]", c.spark().master());
    assertEquals("work/out", c.resolved().values().get("output"), "prepare.conf records what was configured");
  }
}
