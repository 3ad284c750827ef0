package dev.sparseattn.trainer.distributed;

import java.io.Serializable;
import java.util.List;

/**
 * What the driver broadcasts each round: the averaged parameters (the updater state travels separately,
 * see {@link LocalSteps}), the global step the round starts at (the iteration count that drives the
 * learning-rate schedule and Adam's bias correction), how many local steps to take, each worker's data
 * position as (epoch, shard, row), whether the workers start from the last synchronised updater state
 * (the first round of a run and the round after a synchronisation) and whether they return their
 * updater state for averaging (a synchronisation round).
 */
public record RoundInput(ModelState state, int iteration, int epochCount, int steps, List<long[]> positions,
                         boolean loadSynced, boolean returnState) implements Serializable {}
