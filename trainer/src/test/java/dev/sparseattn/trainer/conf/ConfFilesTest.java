package dev.sparseattn.trainer.conf;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import dev.sparseattn.datasets.config.JobArgs;
import dev.sparseattn.trainer.distributed.DistributedConfig;
import dev.sparseattn.trainer.sample.SampleConfig;
import dev.sparseattn.trainer.train.TrainConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every shipped job configuration parses and validates with the trainer's own config records. */
class ConfFilesTest {
  static List<Path> confFiles() throws IOException {
    Path dir = Paths.get(System.getProperty("project.root.dir", ".."), "conf");
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.toString().endsWith(".conf")).sorted().toList();
    }
  }

  @Test
  void trainEvaluateAndSampleSectionsOfEveryConfValidate() throws IOException {
    List<Path> files = confFiles();
    assertFalse(files.isEmpty());
    int checked = 0;
    for (Path file : files) {
      Config c = JobArgs.load(file.toString());
      if (c.hasPath("train")) {
        TrainConfig t = TrainConfig.parse(c);
        assertTrue(t.steps() > 0, file + ": " + t);
        checked++;
      }
      if (c.hasPath("distributed")) {
        DistributedConfig d = DistributedConfig.parse(c);
        assertTrue(d.workers() >= 1, file + ": " + d);
        checked++;
      }
      if (c.hasPath("evaluate")) {
        dev.sparseattn.trainer.eval.EvaluateConfig e = dev.sparseattn.trainer.eval.EvaluateConfig.parse(c);
        assertFalse(e.data().isEmpty(), file + ": " + e);
        checked++;
      }
      if (c.hasPath("sample")) {
        SampleConfig.parse(c);
        checked++;
      }
    }
    assertTrue(checked >= 2, "the quickstart has train and sample sections");
  }
}
