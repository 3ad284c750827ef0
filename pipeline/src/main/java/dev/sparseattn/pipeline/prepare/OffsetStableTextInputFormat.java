package dev.sparseattn.pipeline.prepare;

import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.apache.hadoop.mapreduce.JobContext;
import org.apache.hadoop.mapreduce.lib.input.TextInputFormat;

/**
 * Hadoop's TextInputFormat (keys: byte offset of each line; values: the line without its terminator;
 * decompression through Hadoop's codecs by file extension), except that compressed files are never
 * split. For a plain file the key is the line's byte offset whatever the split; for a compressed file
 * read from its start it is the offset in the decompressed content. A split bzip2 file would key its
 * lines by positions that depend on the split boundaries, so bzip2 files are read whole, like gzip.
 */
public final class OffsetStableTextInputFormat extends TextInputFormat {
  @Override
  protected boolean isSplitable(JobContext context, Path file) {
    return new CompressionCodecFactory(context.getConfiguration()).getCodec(file) == null;
  }
}
