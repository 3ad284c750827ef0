package dev.sparseattn.datasets.manifest;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;
import java.util.TreeMap;

/**
 * How every input record of a preparation was accounted for: each record read was either emitted
 * (it became, or contributed to, documents in the shards) or quarantined (written with its source,
 * position and reason to the quarantine table, see {@link #QUARANTINE_DIR}). {@code read == emitted +
 * quarantined} always holds.
 *
 * @param unit what one record is for the input format: {@code line} or {@code file} (text),
 *     {@code window} (FASTA: a window of a sequence record; a record shorter than the window is one),
 *     {@code read} (FASTQ), {@code row} (CSV)
 * @param read records read, good and bad
 * @param emitted records that reached the shards
 * @param quarantined records written to the quarantine table instead
 * @param repaired emitted records that were repaired on the way (invalid UTF-8 replaced by U+FFFD)
 * @param byReason quarantined records per reason code (e.g. {@code invalid-utf8}); sums to {@code quarantined}
 */
public record RecordAccounting(
    @JsonProperty("unit") String unit,
    @JsonProperty("read") long read,
    @JsonProperty("emitted") long emitted,
    @JsonProperty("quarantined") long quarantined,
    @JsonProperty("repaired") long repaired,
    @JsonProperty("by_reason") Map<String, Long> byReason) {

  /** Directory of the quarantine table (JSON lines) inside a dataset directory. */
  public static final String QUARANTINE_DIR = "quarantine";

  public RecordAccounting {
    byReason = byReason == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(byReason));
  }

  /** Whether the counts add up: {@code read == emitted + quarantined} and the reasons sum to {@code quarantined}. */
  @JsonIgnore
  public boolean consistent() {
    long reasons = byReason.values().stream().mapToLong(Long::longValue).sum();
    return read == emitted + quarantined && reasons == quarantined && repaired <= emitted;
  }
}
