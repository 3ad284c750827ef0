package dev.sparseattn.datasets.shard;

import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.io.api.RecordConsumer;

/** Writes {@link ShardRow}s straight to Parquet's {@link RecordConsumer}: no intermediate Group objects. */
final class ShardWriteSupport extends WriteSupport<ShardRow> {
  private RecordConsumer out;

  @Override
  public WriteContext init(Configuration configuration) {
    return new WriteContext(ShardSchema.SCHEMA,
        Map.of(ShardSchema.VERSION_KEY, Integer.toString(ShardSchema.VERSION)));
  }

  @Override
  public void prepareForWrite(RecordConsumer recordConsumer) {
    this.out = recordConsumer;
  }

  @Override
  public void write(ShardRow row) {
    int[] tokens = row.tokens();
    out.startMessage();

    out.startField(ShardSchema.SEQ_ID, 0);
    out.addLong(row.seqId());
    out.endField(ShardSchema.SEQ_ID, 0);

    writeList(ShardSchema.TOKENS, 1, tokens);

    out.startField(ShardSchema.N_TOKENS, 2);
    out.addInteger(row.nTokens());
    out.endField(ShardSchema.N_TOKENS, 2);

    if (row.segmentIds() != null) {
      writeList(ShardSchema.SEGMENT_IDS, 3, row.segmentIds());
    }
    out.endMessage();
  }

  private void writeList(String field, int index, int[] values) {
    out.startField(field, index);
    out.startGroup();
    if (values.length > 0) {
      out.startField(ShardSchema.LIST, 0);
      for (int v : values) {
        out.startGroup();
        out.startField(ShardSchema.ELEMENT, 0);
        out.addInteger(v);
        out.endField(ShardSchema.ELEMENT, 0);
        out.endGroup();
      }
      out.endField(ShardSchema.LIST, 0);
    }
    out.endGroup();
    out.endField(field, index);
  }
}
