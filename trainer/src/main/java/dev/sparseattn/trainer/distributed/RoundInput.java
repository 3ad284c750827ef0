package dev.sparseattn.trainer.distributed;

import java.io.Serializable;
import java.util.List;

/**
 * What the driver broadcasts each round: the averaged state, the global step the round starts at (the
 * iteration count that drives the learning-rate schedule and Adam's bias correction), how many local
 * steps to take, and each worker's data position as (epoch, shard, row).
 */
public record RoundInput(ModelState state, int iteration, int epochCount, int steps, List<long[]> positions)
    implements Serializable {}
