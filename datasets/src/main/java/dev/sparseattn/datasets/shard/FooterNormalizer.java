package dev.sparseattn.datasets.shard;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Comparator;
import org.apache.parquet.format.ColumnChunk;
import org.apache.parquet.format.Encoding;
import org.apache.parquet.format.FileMetaData;
import org.apache.parquet.format.RowGroup;
import org.apache.parquet.format.Util;

/**
 * Makes a Parquet file's bytes a function of its content only. parquet-mr (1.13) lists the encodings
 * of each column chunk in the footer in the iteration order of a {@code HashSet<Encoding>}, which
 * depends on the enum constants' identity hash codes and so differs from one JVM to the next: the
 * same rows written by two processes differed in two footer bytes. This sorts every such list by
 * encoding id and rewrites the footer in place (a permutation of the same values serializes to the
 * same length).
 */
final class FooterNormalizer {
  private FooterNormalizer() {}

  private static final byte[] MAGIC = "PAR1".getBytes(StandardCharsets.US_ASCII);

  static void normalize(Path file) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      long length = raf.length();
      byte[] tail = new byte[8];
      raf.seek(length - 8);
      raf.readFully(tail);
      for (int i = 0; i < 4; i++) {
        if (tail[4 + i] != MAGIC[i]) {
          throw new IOException(file + " is not a Parquet file (no trailing magic)");
        }
      }
      int footerLength = (tail[0] & 0xff) | (tail[1] & 0xff) << 8 | (tail[2] & 0xff) << 16 | (tail[3] & 0xff) << 24;
      long footerStart = length - 8 - footerLength;
      byte[] footer = new byte[footerLength];
      raf.seek(footerStart);
      raf.readFully(footer);

      FileMetaData meta = Util.readFileMetaData(new ByteArrayInputStream(footer));
      for (RowGroup group : meta.getRow_groups()) {
        for (ColumnChunk chunk : group.getColumns()) {
          if (chunk.isSetMeta_data() && chunk.getMeta_data().isSetEncodings()) {
            chunk.getMeta_data().getEncodings().sort(Comparator.comparingInt(Encoding::getValue));
          }
        }
      }
      ByteArrayOutputStream rewritten = new ByteArrayOutputStream(footerLength);
      Util.writeFileMetaData(meta, rewritten);
      if (rewritten.size() != footerLength) {
        throw new IllegalStateException("normalized footer of " + file + " has " + rewritten.size()
            + " bytes instead of " + footerLength);
      }
      raf.seek(footerStart);
      raf.write(rewritten.toByteArray());
    }
  }
}
