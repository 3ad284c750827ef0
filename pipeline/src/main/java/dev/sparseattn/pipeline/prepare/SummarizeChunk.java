package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.read.DocLine;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.SerializableConfiguration;
import scala.Tuple2;

/**
 * Pass 2 of a preparation, for one chunk: its units in file order, their quarantine and metadata
 * rows written ({@link SideTables}), the chunk packed, and its counts returned to the driver (the
 * ids it uses go to an accumulator, OR-ed on the executors: {@link UsedIds}).
 */
final class SummarizeChunk implements Function<Tuple2<ChunkId, Iterable<DocLine>>, ChunkSummary> {
  private static final long serialVersionUID = 1L;

  private final Packer packer;
  private final SideTables sideTables;
  private final Broadcast<SerializableConfiguration> conf;
  private final UsedIds usedIds;

  /** {@code usedIds}: where the chunk's bit set of ids goes; the summary returned leaves it out. */
  SummarizeChunk(Packer packer, SideTables sideTables, Broadcast<SerializableConfiguration> conf, UsedIds usedIds) {
    this.packer = packer;
    this.sideTables = sideTables;
    this.conf = conf;
    this.usedIds = usedIds;
  }

  @Override
  public ChunkSummary call(Tuple2<ChunkId, Iterable<DocLine>> chunk) throws Exception {
    List<DocLine> units = new ArrayList<>();
    chunk._2().forEach(units::add);
    units.sort(DocLine.ORDER);
    sideTables.write(chunk._1(), units, conf.value().value());
    ChunkSummary summary = packer.pack(chunk._1(), units).summary();
    usedIds.add(summary.usedIds());
    return summary.withoutUsedIds();
  }
}
