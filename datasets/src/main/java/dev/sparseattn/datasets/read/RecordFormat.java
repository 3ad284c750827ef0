package dev.sparseattn.datasets.read;

import dev.sparseattn.datasets.read.DocLine;
import java.io.InputStream;
import java.io.Serializable;
import java.util.Iterator;

/**
 * A streaming reader of one input file's decompressed bytes into units ({@link DocLine}s) in file
 * order: documents, and quarantined units for malformed records. Implementations never hold more
 * than a window or a record in memory, report I/O failures as {@link java.io.UncheckedIOException}
 * from {@code hasNext}/{@code next} (the caller quarantines the rest of the file), and never throw on
 * bad content.
 */
public interface RecordFormat extends Serializable {
  /** The units of a file. */
  Units open(InputStream in);

  /** An iterator of units that knows how far it got (for the unit that records a failure). */
  interface Units extends Iterator<DocLine> {
    /** Offset (same meaning as the units' offsets) where the next unit would start. */
    long position();

    /** Units handed out so far (the next unit's record number). */
    long count();
  }
}
