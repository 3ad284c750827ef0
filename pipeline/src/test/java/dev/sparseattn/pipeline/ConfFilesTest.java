package dev.sparseattn.pipeline;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import dev.sparseattn.datasets.config.JobArgs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The prepare section of every shipped job configuration parses and validates. */
class ConfFilesTest {
  @Test
  void prepareSectionsOfEveryConfValidate() throws IOException {
    Path dir = Paths.get(System.getProperty("project.root.dir", ".."), "conf");
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> p.toString().endsWith(".conf")).sorted().toList();
    }
    assertFalse(files.isEmpty());
    for (Path file : files) {
      Config c = JobArgs.load(file.toString());
      assertTrue(c.hasPath("prepare"), file + " has a prepare section");
      PrepareConfig p = PrepareConfig.parse(c);
      assertFalse(p.input().isEmpty(), file.toString());
    }
  }
}
