package dev.sparseattn.pipeline.prepare;

import java.nio.charset.StandardCharsets;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.apache.hadoop.mapreduce.InputSplit;
import org.apache.hadoop.mapreduce.JobContext;
import org.apache.hadoop.mapreduce.RecordReader;
import org.apache.hadoop.mapreduce.TaskAttemptContext;
import org.apache.hadoop.mapreduce.lib.input.FileInputFormat;

/**
 * Hadoop's TextInputFormat (keys: byte offset of each line; values: the line without its terminator;
 * decompression through Hadoop's codecs by file extension), except that compressed files are never
 * split and that reading never fails the task ({@link GuardedLineReader}). For a plain file the key is
 * the line's byte offset whatever the split; for a compressed file read from its start it is the
 * offset in the decompressed content. A split bzip2 file would key its lines by positions that depend
 * on the split boundaries, so bzip2 files are read whole here, like gzip (long bzip2 and BGZF files
 * are split by decompressed offsets instead, by {@link BlockLineSource}).
 */
public final class OffsetStableTextInputFormat extends FileInputFormat<LongWritable, RawLine> {
  @Override
  protected boolean isSplitable(JobContext context, Path file) {
    return new CompressionCodecFactory(context.getConfiguration()).getCodec(file) == null;
  }

  @Override
  public RecordReader<LongWritable, RawLine> createRecordReader(InputSplit split, TaskAttemptContext context) {
    String delimiter = context.getConfiguration().get("textinputformat.record.delimiter");
    return new GuardedLineReader(delimiter == null ? null : delimiter.getBytes(StandardCharsets.UTF_8));
  }
}
