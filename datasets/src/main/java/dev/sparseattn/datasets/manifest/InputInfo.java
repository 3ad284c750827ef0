package dev.sparseattn.datasets.manifest;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One input file as the preparation read it.
 *
 * @param path the fully qualified path (scheme and authority included)
 * @param documents documents read from it (lines, or 1 for one document per file)
 * @param bytes bytes of document content after decompression (line terminators excluded)
 */
public record InputInfo(
    @JsonProperty("path") String path,
    @JsonProperty("documents") long documents,
    @JsonProperty("bytes") long bytes) {}
