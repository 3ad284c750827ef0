package dev.sparseattn.datasets.shard;

import dev.sparseattn.datasets.config.DataError;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.io.InputFile;

/**
 * Reads the rows of one shard file from any Hadoop file system, in file order (ascending seq_id for
 * shards written by PrepareCorpus).
 *
 * <pre>{@code
 * try (ShardReader r = ShardReader.open(path, conf)) {
 *   for (ShardRow row; (row = r.read()) != null; ) { ... row.tokens() ... }
 * }
 * }</pre>
 *
 * It is also an {@link Iterator} (I/O errors then surface as {@link UncheckedIOException}).
 */
public final class ShardReader implements AutoCloseable, Iterator<ShardRow> {
  private final ParquetReader<ShardRow> reader;
  private ShardRow next;

  private ShardReader(ParquetReader<ShardRow> reader) {
    this.reader = reader;
  }

  /** Opens a shard; a missing file or a file of another schema is a {@link DataError}. */
  public static ShardReader open(Path path, Configuration conf) throws IOException {
    InputFile file;
    try {
      file = HadoopInputFile.fromPath(path, conf);
    } catch (FileNotFoundException e) {
      throw new DataError("shard not found: " + path, e);
    }
    return new ShardReader(new Builder(file, path.toString()).withConf(conf).build());
  }

  /** Opens a shard by URI (any Hadoop file system). */
  public static ShardReader open(String uri, Configuration conf) throws IOException {
    return open(new Path(uri), conf);
  }

  /** The next row, or {@code null} after the last one. */
  public ShardRow read() throws IOException {
    if (next != null) {
      ShardRow r = next;
      next = null;
      return r;
    }
    return reader.read();
  }

  @Override
  public boolean hasNext() {
    if (next == null) {
      try {
        next = reader.read();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return next != null;
  }

  @Override
  public ShardRow next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    ShardRow r = next;
    next = null;
    return r;
  }

  @Override
  public void close() throws IOException {
    reader.close();
  }

  private static final class Builder extends ParquetReader.Builder<ShardRow> {
    private final String name;

    Builder(InputFile file, String name) {
      super(file);
      this.name = name;
    }

    @Override
    protected ReadSupport<ShardRow> getReadSupport() {
      return new ShardReadSupport(name);
    }
  }
}
