package dev.sparseattn.trainer.checkpoint;

import com.fasterxml.jackson.annotation.JsonProperty;

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
 */
public record TrainingState(
    @JsonProperty("step") long step,
    @JsonProperty("epoch") long epoch,
    @JsonProperty("shard") int shard,
    @JsonProperty("row") int row,
    @JsonProperty("tokens_seen") long tokensSeen,
    @JsonProperty("smoothed_bits") double smoothedBits,
    @JsonProperty("seed") long seed) {}
