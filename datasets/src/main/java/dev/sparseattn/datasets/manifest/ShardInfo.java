package dev.sparseattn.datasets.manifest;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One shard file of a split.
 *
 * @param path file path relative to the dataset directory, e.g. {@code train/shard-00000.parquet}
 * @param rows number of rows (sequences)
 * @param bytes file size
 * @param sha256 lower-case hex SHA-256 of the file's bytes
 * @param firstSeqId seq_id of the first row; the shard holds seq_ids {@code [firstSeqId, firstSeqId + rows)}
 */
public record ShardInfo(
    @JsonProperty("path") String path,
    @JsonProperty("rows") long rows,
    @JsonProperty("bytes") long bytes,
    @JsonProperty("sha256") String sha256,
    @JsonProperty("first_seq_id") long firstSeqId) {}
