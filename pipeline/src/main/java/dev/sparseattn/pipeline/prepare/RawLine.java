package dev.sparseattn.pipeline.prepare;

/**
 * A line as {@link GuardedLineReader} returns it: its own copy of the bytes, or the reason reading
 * stopped ({@code truncated: ...}, {@code empty-file: ...}) with no bytes.
 */
public record RawLine(byte[] bytes, String error) {}
