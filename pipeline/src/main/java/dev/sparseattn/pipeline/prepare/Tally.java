package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.read.DocLine;
import dev.sparseattn.datasets.manifest.RecordAccounting;
import java.io.Serializable;
import java.util.Map;
import java.util.TreeMap;

/** Mutable record counts of a chunk (or a whole run): read = emitted + quarantined, by reason. */
public final class Tally implements Serializable {
  private static final long serialVersionUID = 1L;

  private long emitted;
  private long quarantined;
  private long repaired;
  private final TreeMap<String, Long> byReason = new TreeMap<>();
  private final TreeMap<String, String> examples = new TreeMap<>();

  /** Counts one unit. */
  void add(DocLine d) {
    if (d.bad()) {
      quarantined++;
      byReason.merge(d.reasonCode(), 1L, Long::sum);
      examples.putIfAbsent(d.reasonCode(), d.reason());
    } else {
      emitted += d.records();
      if (d.repaired()) {
        repaired += d.records();
      }
    }
  }

  void add(Tally t) {
    emitted += t.emitted;
    quarantined += t.quarantined;
    repaired += t.repaired;
    t.byReason.forEach((k, v) -> byReason.merge(k, v, Long::sum));
    t.examples.forEach(examples::putIfAbsent);
  }

  public long read() {
    return emitted + quarantined;
  }

  public long emitted() {
    return emitted;
  }

  public long quarantined() {
    return quarantined;
  }

  public Map<String, Long> byReason() {
    return byReason;
  }

  /** The first full reason seen per reason code (in the order units and tallies were added). */
  public Map<String, String> examples() {
    return examples;
  }

  RecordAccounting toAccounting(String unit) {
    return new RecordAccounting(unit, read(), emitted, quarantined, repaired, byReason);
  }
}
