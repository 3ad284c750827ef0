package dev.sparseattn.datasets.shard;

import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.api.InitContext;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.io.api.RecordMaterializer;
import org.apache.parquet.schema.MessageType;

/** Reads shard rows with {@link ShardRecordConverter}; checks the file's schema first. */
final class ShardReadSupport extends ReadSupport<ShardRow> {
  private final String file;

  ShardReadSupport(String file) {
    this.file = file;
  }

  @Override
  public ReadContext init(InitContext context) {
    return new ReadContext(ShardSchema.project(context.getFileSchema(), file));
  }

  @Override
  public RecordMaterializer<ShardRow> prepareForRead(Configuration configuration,
      Map<String, String> keyValueMetaData, MessageType fileSchema, ReadContext readContext) {
    return new ShardRecordConverter();
  }
}
