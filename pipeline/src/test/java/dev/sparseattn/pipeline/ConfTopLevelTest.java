package dev.sparseattn.pipeline;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.sparseattn.datasets.config.JobArgs;
import dev.sparseattn.datasets.config.JobSections;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every shipped conf file uses only the project's job sections at the top level, so every job accepts it. */
class ConfTopLevelTest {
  @Test
  void everyConfHasOnlyJobSections() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(ConfFiles.conf(""))) {
      files = s.filter(p -> p.toString().endsWith(".conf")).sorted().toList();
    }
    assertFalse(files.isEmpty());
    for (Path f : files) {
      assertDoesNotThrow(() -> JobSections.check(JobArgs.load(f.toString()), Set.of()), f.toString());
    }
  }
}
