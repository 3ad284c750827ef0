package dev.sparseattn.datasets.read;

import java.io.IOException;
import java.io.Serializable;
import java.util.List;

/**
 * A record format whose uncompressed files are read in byte ranges ("parts") in two passes, for
 * formats where a part cannot find its context by itself (FASTA: the record a part starts in, and how
 * many bases of it come before the part, may lie gigabytes back). Pass one {@link #scan}s every part
 * in parallel into a small summary; {@link #starts} chains the summaries, in file order, into the
 * state each part starts in; pass two reads every part in parallel from that state. The contract of
 * the units is that of {@link SplittableFormat}: every unit of the file is owned by exactly one part,
 * and the parts' units concatenated are the whole-file units with record numbers counted per part.
 *
 * @param <P> a part's summary (small: it is sent to the driver)
 * @param <S> the state a part starts in
 */
public interface ScannedSplitFormat<P extends Serializable, S extends Serializable> extends RecordFormat {
  /** Pass one: the summary of bytes {@code [start, end)} of {@code file}; {@code start < end}. */
  P scan(RangeInput file, long start, long end) throws IOException;

  /** The state at the start of each part, from the parts' summaries in file order (the file's parts, all of them). */
  List<S> starts(List<P> parts);

  /** Pass two: the units owned by bytes {@code [start, end)}, given the state {@code from} at {@code start}. */
  Units openSplit(RangeInput file, long start, long end, S from) throws IOException;
}
