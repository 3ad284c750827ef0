package dev.sparseattn.datasets.read;

import java.io.IOException;

/**
 * A record format whose uncompressed files can be read in byte ranges ("splits") by separate tasks.
 * Every unit of a file is owned by exactly one split, and the units a split reads are exactly the
 * units a whole-file read ({@link #open}) gives for that part of the file, with the same offsets,
 * bytes and metadata, in the same order; only record numbers are counted from 0 within the split
 * (the caller adds the units of the splits before it). A split starts from a record boundary it
 * finds by itself at or after its start (each format documents its rule) and reads past its end to
 * finish the units it owns.
 */
public interface SplittableFormat extends RecordFormat {
  /** The units owned by bytes {@code [start, end)} of {@code file}; {@code start < end}. */
  Units openSplit(RangeInput file, long start, long end) throws IOException;
}
