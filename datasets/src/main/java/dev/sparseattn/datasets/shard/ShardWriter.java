package dev.sparseattn.datasets.shard;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.OutputFile;

/**
 * Writes one shard file ({@link ShardSchema}) to any Hadoop file system, snappy-compressed, replacing
 * an existing file. The file's bytes depend only on the rows written: no padding to file system
 * blocks, no timestamps, and the footer normalized ({@link FooterNormalizer}), so the same rows give
 * the same file on file:// and hdfs:// and from any JVM.
 *
 * <p>The file is built in a local temporary file (directory {@value #LOCAL_DIR_KEY} of the Hadoop
 * configuration, else {@code java.io.tmpdir}) and copied to its target by {@link #close()}, which
 * also computes its SHA-256.
 *
 * <pre>{@code
 * try (ShardWriter w = ShardWriter.create(path, conf, seqLen + 1)) {
 *   w.write(seqId, tokens, nTokens);
 * }
 * }</pre>
 */
public final class ShardWriter implements AutoCloseable {
  /** Hadoop configuration key of the local directory for temporary shard files. */
  public static final String LOCAL_DIR_KEY = "sparseattn.shard.local-dir";
  /** Row group size: a shard of a few thousand rows is one row group. */
  private static final long ROW_GROUP_BYTES = 128L << 20;

  private final ParquetWriter<ShardRow> writer;
  private final int rowLength;
  private final Path path;
  private final Configuration conf;
  private final java.nio.file.Path local;
  private long rows;
  private long bytes = -1;
  private String sha256;
  private boolean closed;

  private ShardWriter(ParquetWriter<ShardRow> writer, int rowLength, Path path, Configuration conf,
      java.nio.file.Path local) {
    this.writer = writer;
    this.rowLength = rowLength;
    this.path = path;
    this.conf = conf;
    this.local = local;
  }

  /** Opens a writer for rows of exactly {@code rowLength} ids (seq_len + 1). */
  public static ShardWriter create(Path path, Configuration conf, int rowLength) throws IOException {
    if (rowLength < 2) {
      throw new IllegalArgumentException("rowLength must be at least 2, got " + rowLength);
    }
    java.nio.file.Path dir = java.nio.file.Path.of(conf.get(LOCAL_DIR_KEY, System.getProperty("java.io.tmpdir")));
    Files.createDirectories(dir);
    java.nio.file.Path local = Files.createTempFile(dir, "shard-", ".parquet");
    try {
      ParquetWriter<ShardRow> w = new Builder(new LocalOutputFile(local))
          .withConf(conf)
          .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
          .withCompressionCodec(CompressionCodecName.SNAPPY)
          .withRowGroupSize(ROW_GROUP_BYTES)
          .withMaxPaddingSize(0)
          .withDictionaryEncoding(true)
          .withValidation(false)
          .build();
      return new ShardWriter(w, rowLength, path, conf, local);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(local);
      throw e;
    }
  }

  /**
   * Appends a row. {@code tokens} must have the row length; {@code nTokens} counts its non-PAD ids.
   * The array is not kept after the call.
   */
  public void write(long seqId, int[] tokens, int nTokens) throws IOException {
    write(seqId, tokens, nTokens, null);
  }

  /**
   * Appends a row with segment ids ({@link ShardRow#segments}), one per token; {@code null} writes
   * none (the column is then null for the row).
   */
  public void write(long seqId, int[] tokens, int nTokens, int[] segmentIds) throws IOException {
    if (segmentIds != null && segmentIds.length != tokens.length) {
      throw new IllegalArgumentException("row " + seqId + " of " + path + ": " + segmentIds.length
          + " segment ids for " + tokens.length + " tokens");
    }
    if (tokens.length != rowLength) {
      throw new IllegalArgumentException("row " + seqId + " of " + path + ": expected " + rowLength
          + " tokens, got " + tokens.length);
    }
    if (nTokens < 0 || nTokens > rowLength) {
      throw new IllegalArgumentException("row " + seqId + " of " + path + ": n_tokens " + nTokens
          + " outside [0, " + rowLength + "]");
    }
    writer.write(new ShardRow(seqId, tokens, nTokens, segmentIds));
    rows++;
  }

  /** Rows written so far. */
  public long rows() {
    return rows;
  }

  /** Size of the finished file; available after {@link #close()}. */
  public long bytes() {
    checkClosed();
    return bytes;
  }

  /** Lower-case hex SHA-256 of the finished file; available after {@link #close()}. */
  public String sha256() {
    checkClosed();
    return sha256;
  }

  /** Finishes the file (footer included) and copies it to its target; the target is complete only after this. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    try {
      writer.close();
      FooterNormalizer.normalize(local);
      MessageDigest digest = FileDigest.newSha256();
      FileSystem fs = path.getFileSystem(conf);
      try (InputStream in = new DigestInputStream(Files.newInputStream(local), digest);
           OutputStream out = fs.create(path, true)) {
        bytes = in.transferTo(out);
      }
      sha256 = HexFormat.of().formatHex(digest.digest());
      closed = true;
    } finally {
      Files.deleteIfExists(local);
    }
  }

  private void checkClosed() {
    if (!closed) {
      throw new IllegalStateException(path + " is not finished: close() the writer first");
    }
  }

  private static final class Builder extends ParquetWriter.Builder<ShardRow, Builder> {
    Builder(OutputFile file) {
      super(file);
    }

    @Override
    protected Builder self() {
      return this;
    }

    @Override
    protected WriteSupport<ShardRow> getWriteSupport(Configuration conf) {
      return new ShardWriteSupport();
    }
  }
}
