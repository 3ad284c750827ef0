package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.read.DocLine;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparseattn.datasets.manifest.RecordAccounting;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;

/**
 * The two JSON-lines tables a chunk may add next to the shards, one file per chunk
 * ({@code part-FFFFF-CCCCCCCC.jsonl}, file and chunk index), written by the task that packs the chunk
 * (temporary name, then rename: a retried task writes the same bytes):
 * <ul>
 *   <li>{@code quarantine/}: one row per quarantined unit: {@code source} (file), {@code record}
 *       (record number in the file, when the reader knows it), {@code offset} (see {@link DocLine}),
 *       {@code reason} (code), {@code detail} (full reason) and {@code sample} (up to 96 bytes of the
 *       content, malformed UTF-8 replaced);
 *   <li>{@code metadata/}: one row per document with metadata (a FASTA header, a window's scales):
 *       {@code source}, {@code record}, {@code offset}, {@code meta} (an object).
 * </ul>
 * Spark reads both with {@code spark.read().json(dir)}.
 */
final class SideTables implements Serializable {
  private static final long serialVersionUID = 1L;
  /** Directory of the metadata table inside the dataset directory. */
  static final String METADATA_DIR = "metadata";
  private static final ObjectMapper JSON = new ObjectMapper().disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);

  private final String output;
  private final List<String> sources;
  private final long[] splitBases;

  SideTables(String output, List<String> sources) {
    this(output, sources, new long[0]);
  }

  /** {@code splitBases}: the records of a file before each of its splits ({@link ReadUnits#recordBases}). */
  SideTables(String output, List<String> sources, long[] splitBases) {
    this.output = output;
    this.sources = List.copyOf(sources);
    this.splitBases = splitBases.clone();
  }

  /** Writes the chunk's quarantine and metadata rows (units in file order), if it has any. */
  void write(ChunkId id, List<DocLine> units, Configuration conf) throws IOException {
    String name = String.format("part-%05d-%08d.jsonl", id.file(), id.chunk());
    String source = sources.get(id.file());
    StringBuilder quarantine = new StringBuilder();
    StringBuilder metadata = new StringBuilder();
    for (DocLine d : units) {
      long record = d.recordNo(splitBases);
      if (d.bad()) {
        quarantine.append(JSON.writeValueAsString(new QuarantineRow(source, record < 0 ? null : record,
            d.offset(), d.reasonCode(), d.reason(), new String(d.bytes(), StandardCharsets.UTF_8)))).append('\n');
      } else if (d.meta() != null) {
        metadata.append(JSON.writeValueAsString(new MetadataRow(source, record < 0 ? null : record,
            d.offset(), JSON.readTree(d.meta())))).append('\n');
      }
    }
    publish(new Path(new Path(output, RecordAccounting.QUARANTINE_DIR), name), quarantine, conf);
    publish(new Path(new Path(output, METADATA_DIR), name), metadata, conf);
  }

  private static void publish(Path target, StringBuilder rows, Configuration conf) throws IOException {
    if (rows.length() == 0) {
      return;
    }
    FileSystem fs = target.getFileSystem(conf);
    TaskContext task = TaskContext.get();
    Path tmp = new Path(target.getParent(), "." + target.getName() + "." + (task == null ? 0 : task.taskAttemptId()) + ".tmp");
    try (OutputStream out = fs.create(tmp, true)) {
      out.write(rows.toString().getBytes(StandardCharsets.UTF_8));
    }
    if (fs.exists(target)) {
      fs.delete(target, false);
    }
    if (!fs.rename(tmp, target) && !fs.exists(target)) {
      throw new IOException("cannot rename " + tmp + " to " + target);
    }
    fs.delete(tmp, false);
  }

  /** A quarantine table row (field order is the JSON order). */
  record QuarantineRow(String source, Long record, long offset, String reason, String detail, String sample) {}

  /** A metadata table row. */
  record MetadataRow(String source, Long record, long offset, Object meta) {}
}
