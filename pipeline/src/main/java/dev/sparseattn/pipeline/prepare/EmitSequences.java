package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.read.DocLine;
import java.util.Iterator;
import java.util.Map;
import org.apache.spark.api.java.function.PairFlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import scala.Tuple2;

/** Packs a chunk again and emits its sequences keyed by (split, global seq_id), lazily, as {@link TokenBytes}. */
final class EmitSequences implements PairFlatMapFunction<Tuple2<ChunkId, Iterable<DocLine>>, SeqKey, byte[]> {
  private static final long serialVersionUID = 1L;

  private final Packer packer;
  private final Broadcast<Map<ChunkId, long[]>> bases;
  private final int width;

  /** {@code width}: bytes per token id ({@link TokenBytes#width}). */
  EmitSequences(Packer packer, Broadcast<Map<ChunkId, long[]>> bases, int width) {
    this.packer = packer;
    this.bases = bases;
    this.width = width;
  }

  @Override
  public Iterator<Tuple2<SeqKey, byte[]>> call(Tuple2<ChunkId, Iterable<DocLine>> chunk) {
    PackedChunk packed = packer.pack(chunk._1(), chunk._2());
    long[] next = bases.value().get(chunk._1()).clone();
    return new Iterator<>() {
      private int i;

      @Override
      public boolean hasNext() {
        return i < packed.sequences();
      }

      @Override
      public Tuple2<SeqKey, byte[]> next() {
        int split = packed.split(i).ordinal();
        Tuple2<SeqKey, byte[]> t = new Tuple2<>(new SeqKey(split, next[split]++), TokenBytes.encode(packed.sequence(i), width));
        i++;
        return t;
      }
    };
  }
}
