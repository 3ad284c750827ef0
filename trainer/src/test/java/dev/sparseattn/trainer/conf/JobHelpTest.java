package dev.sparseattn.trainer.conf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import dev.sparseattn.datasets.config.Cli;
import dev.sparseattn.datasets.config.Help;
import dev.sparseattn.trainer.distributed.DistributedConfig;
import dev.sparseattn.trainer.eval.EvaluateConfig;
import dev.sparseattn.trainer.infer.EmbedConfig;
import dev.sparseattn.trainer.infer.ScoreConfig;
import dev.sparseattn.trainer.infer.StreamScoreConfig;
import dev.sparseattn.trainer.sample.SampleConfig;
import dev.sparseattn.trainer.train.TrainConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * {@code --help} of the trainer's jobs (Train, DistributedTrain, Sample, Evaluate, Score, Embed, StreamScore): every
 * key their parsers read has a meaning in {@code help/<section>.properties}, no meaning is left for a key no parser
 * reads, and the help exits with status 0 although the sections have required keys.
 */
class JobHelpTest {
  private static String help(String name, Function<Config, ?> parse) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Cli.execute(name, new String[] {"--help"}, parse::apply, c -> {
      throw new AssertionError("must not run");
    }, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(0, status, err.toString(StandardCharsets.UTF_8));
    String text = out.toString(StandardCharsets.UTF_8);
    assertFalse(text.contains("(no description)"), text);
    return text;
  }

  @Test
  void everyKeyHasAMeaning() {
    for (Function<Config, ?> parse : java.util.List.<Function<Config, ?>>of(
        TrainConfig::parse, DistributedConfig::parse, SampleConfig::parse, EvaluateConfig::parse, ScoreConfig::parse,
        EmbedConfig::parse, StreamScoreConfig::parse, dev.sparseattn.trainer.infer.ForecastConfig::parse)) {
      assertEquals(Set.of(), Help.undocumented(parse));
      assertEquals(Set.of(), Help.stale(parse));
    }
  }

  @Test
  void helpListsKeysWithDefaults() {
    String train = help("train", TrainConfig::parse);
    assertTrue(train.contains("  train.data (required)    [string]\n"), train);
    assertTrue(train.contains("  train.steps = 300    [integer >= 1]\n"), train);
    assertTrue(train.contains("  train.model.attention[].kind = dense    ["), train);
    String distributed = help("distributed-train", DistributedConfig::parse);
    assertTrue(distributed.contains("keys of section 'train'") && distributed.contains("keys of section 'distributed'")
        && distributed.contains("  distributed.workers = 2    [integer in [1, 4096]]\n"), distributed);
    String sample = help("sample", SampleConfig::parse);
    assertTrue(sample.contains("  sample.model (required)    [string]\n"), sample);
    assertTrue(sample.contains("  sample.prompt = unset    [string]\n") && sample.contains("  sample.prompt-file = unset"), sample);
    String score = help("score", ScoreConfig::parse);
    assertTrue(score.contains("  score.model (required)    [string]\n")
        && score.contains("  score.split = validation    [train | validation | test]\n"), score);
  }
}
