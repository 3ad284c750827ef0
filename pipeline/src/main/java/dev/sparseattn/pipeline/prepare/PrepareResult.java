package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.manifest.Manifest;
import dev.sparseattn.datasets.manifest.RecordAccounting;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.datasets.manifest.SplitInfo;
import java.util.Locale;

/**
 * The outcome of a preparation: the manifest written, the dataset directory and the wall time.
 *
 * @param output the qualified dataset directory
 * @param wallMillis from the start of the work (after Spark was up) to the manifest being written
 * @param droppedBases ambiguous bases left out by the nucleotide tokenizer with {@code ambiguous = split}
 *     (the manifest has no field for them yet)
 */
public record PrepareResult(Manifest manifest, String output, long wallMillis, long droppedBases) {

  /** A human-readable summary: documents read, sequences/tokens per split, shards, time, throughput. */
  public String summary() {
    double seconds = wallMillis / 1000.0;
    double mib = manifest.inputBytes() / (1024.0 * 1024.0);
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "prepare: done in %.1f s (%.2f MiB/s)%n", seconds, mib / Math.max(seconds, 1e-3)));
    b.append(String.format(Locale.ROOT, "  input       %d file(s), %d documents, %.2f MiB, %d chunk(s), %d stream tokens%n",
        manifest.inputs().size(), manifest.documents(), mib, manifest.chunks(), manifest.streamTokens()));
    for (Split split : Split.values()) {
      SplitInfo s = manifest.split(split);
      b.append(String.format(Locale.ROOT, "  %-11s %d sequences of %d+1, %d tokens, %d records, %d shard(s), %.2f MiB%n",
          split.id(), s.sequences(), manifest.seqLen(), s.tokens(), s.records(), s.shards().size(),
          s.bytes() / (1024.0 * 1024.0)));
    }
    RecordAccounting r = manifest.records();
    if (r != null) {
      b.append(String.format(Locale.ROOT, "  records     %d %s(s) read = %d emitted + %d quarantined%s%n", r.read(), r.unit(),
          r.emitted(), r.quarantined(), r.repaired() > 0 ? " (" + r.repaired() + " repaired)" : ""));
      if (r.quarantined() > 0) {
        b.append("  quarantine  ").append(r.byReason()).append(" -> ").append(output).append('/')
            .append(RecordAccounting.QUARANTINE_DIR).append("/\n");
      }
    }
    if (droppedBases > 0) {
      b.append("  dropped     ").append(droppedBases)
          .append(" ambiguous base(s) where documents were split (prepare.nucleotide.ambiguous = split)\n");
    }
    b.append("  output      ").append(output).append('/').append(Manifest.FILE_NAME);
    return b.toString();
  }
}
