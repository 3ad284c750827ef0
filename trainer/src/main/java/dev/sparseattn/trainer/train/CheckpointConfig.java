package dev.sparseattn.trainer.train;

import dev.sparseattn.datasets.config.Section;

/**
 * When and where the train job writes checkpoints.
 *
 * @param every write a checkpoint every this many steps (and at the end); 0 disables checkpoints
 * @param keep how many of the newest checkpoints to keep
 * @param dir checkpoint directory on any Hadoop file system; empty means {@code <output>/checkpoints}
 */
public record CheckpointConfig(int every, int keep, String dir) {

  static CheckpointConfig parse(Section s) {
    return new CheckpointConfig(
        s.integer("every", 0, 0, Integer.MAX_VALUE),
        s.integer("keep", 3, 1, 10_000),
        s.string("dir", ""));
  }

  public boolean enabled() {
    return every > 0;
  }
}
