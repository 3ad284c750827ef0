package dev.sparseattn.trainer.checkpoint;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * Everything besides the network (parameters and updater state) that a resumed run needs to continue
 * exactly where a checkpoint left off.
 *
 * @param step optimiser steps completed
 * @param epoch data position: the epoch of the next training row
 * @param shard data position: the shard (in that epoch's order) of the next row
 * @param row data position: the row within that shard
 * @param tokensSeen training target tokens consumed so far
 * @param smoothedBits the smoothed training loss shown in progress lines
 * @param seed the run's seed (a resumed run must use the same one)
 * @param workers distributed training only: the data position of each worker's own stream, by worker
 *     index (the fields above then describe worker 0); null for single-machine training
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TrainingState(
    @JsonProperty("step") long step,
    @JsonProperty("epoch") long epoch,
    @JsonProperty("shard") int shard,
    @JsonProperty("row") int row,
    @JsonProperty("tokens_seen") long tokensSeen,
    @JsonProperty("smoothed_bits") double smoothedBits,
    @JsonProperty("seed") long seed,
    @JsonProperty("workers") List<DataPosition> workers) {

  /** One worker's data position: epoch, shard (in that epoch's order) and row of its next training row. */
  public record DataPosition(@JsonProperty("epoch") long epoch, @JsonProperty("shard") int shard,
                             @JsonProperty("row") int row) {}

  public TrainingState {
    workers = workers == null ? null : List.copyOf(workers);
  }

  /** Single-machine state (no per-worker positions). */
  public TrainingState(long step, long epoch, int shard, int row, long tokensSeen, double smoothedBits, long seed) {
    this(step, epoch, shard, row, tokensSeen, smoothedBits, seed, null);
  }
}
