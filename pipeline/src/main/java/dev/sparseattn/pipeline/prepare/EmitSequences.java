package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.read.DocLine;
import java.util.Iterator;
import java.util.Map;
import org.apache.spark.api.java.function.PairFlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import scala.Tuple2;

/** Packs a chunk again and emits its sequences keyed by (split, global seq_id), lazily. */
final class EmitSequences implements PairFlatMapFunction<Tuple2<ChunkId, Iterable<DocLine>>, SeqKey, int[]> {
  private static final long serialVersionUID = 1L;

  private final Packer packer;
  private final Broadcast<Map<ChunkId, long[]>> bases;

  EmitSequences(Packer packer, Broadcast<Map<ChunkId, long[]>> bases) {
    this.packer = packer;
    this.bases = bases;
  }

  @Override
  public Iterator<Tuple2<SeqKey, int[]>> call(Tuple2<ChunkId, Iterable<DocLine>> chunk) {
    PackedChunk packed = packer.pack(chunk._1(), chunk._2());
    long[] next = bases.value().get(chunk._1()).clone();
    return new Iterator<>() {
      private int i;

      @Override
      public boolean hasNext() {
        return i < packed.sequences();
      }

      @Override
      public Tuple2<SeqKey, int[]> next() {
        int split = packed.split(i).ordinal();
        Tuple2<SeqKey, int[]> t = new Tuple2<>(new SeqKey(split, next[split]++), packed.sequence(i));
        i++;
        return t;
      }
    };
  }
}
