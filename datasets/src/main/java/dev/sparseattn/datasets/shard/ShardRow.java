package dev.sparseattn.datasets.shard;

/**
 * One row of a shard: a training sequence. {@code tokens} has {@code seq_len + 1} ids of which the
 * first {@code nTokens} are real and the rest PAD (see {@link ShardSchema}). Being a record over an
 * array, {@code equals} compares the array by identity; compare {@code tokens()} with
 * {@link java.util.Arrays#equals(int[], int[])}.
 */
public record ShardRow(long seqId, int[] tokens, int nTokens) {}
