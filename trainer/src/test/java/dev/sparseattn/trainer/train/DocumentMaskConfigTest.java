package dev.sparseattn.trainer.train;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.config.ConfigError;
import dev.sparseattn.datasets.config.JobArgs;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code train.document-mask}: on by default, can be turned off, validated by name. */
class DocumentMaskConfigTest {

  private static TrainConfig parse(String... more) {
    List<String> o = new ArrayList<>(List.of("train.data=x", "train.output=y"));
    o.addAll(List.of(more));
    return TrainConfig.parse(JobArgs.parseOverrides(o));
  }

  @Test
  void onByDefaultAndConfigurable() {
    assertTrue(parse().documentMask());
    assertFalse(parse("train.document-mask=false").documentMask());
    ConfigError e = assertThrows(ConfigError.class, () -> parse("train.document-mask=sometimes"));
    assertTrue(e.getMessage().contains("train.document-mask"), e.getMessage());
  }
}
