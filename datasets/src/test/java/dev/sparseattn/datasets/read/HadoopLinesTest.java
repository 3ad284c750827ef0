package dev.sparseattn.datasets.read;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.mapreduce.TaskAttemptID;
import org.apache.hadoop.mapreduce.lib.input.FileSplit;
import org.apache.hadoop.mapreduce.lib.input.LineRecordReader;
import org.apache.hadoop.mapreduce.task.TaskAttemptContextImpl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lines read in byte ranges of every size from 1 byte to more than the file, concatenated, are the
 * lines Hadoop's own {@link LineRecordReader} reads from the whole file (offsets and bytes): LF, CR LF
 * and lone CR terminators (also a CR LF pair across a range edge), blank lines, a byte order mark, a
 * last line without terminator.
 */
class HadoopLinesTest {
  @TempDir Path tmp;

  @Test
  void rangesOfAnySizeGiveHadoopsWholeFileLines() throws IOException {
    Random r = new Random(41);
    StringBuilder s = new StringBuilder("\ufeff");
    String[] ends = {"\n", "\r\n", "\r", "\n\n", "\r\n\r\n", "\n\r"};
    for (int i = 0; i < 60; i++) {
      s.append("line ".repeat(r.nextInt(4))).append(i).append(ends[r.nextInt(ends.length)]);
    }
    s.append("last without terminator");
    byte[] bytes = s.toString().getBytes(StandardCharsets.UTF_8);
    List<String> whole = hadoop(bytes);
    for (int size = 1; size <= bytes.length + 1; size += size < 40 ? 1 : 17) {
      List<String> split = new ArrayList<>();
      for (long start = 0; start < bytes.length; start += size) {
        Iterator<DocLine> it = HadoopLines.split(SplitReadTest.range(bytes), start, Math.min(bytes.length, start + size));
        it.forEachRemaining(d -> split.add(d.offset() + " [" + new String(d.bytes(), StandardCharsets.UTF_8) + "]"));
      }
      assertEquals(whole, split, "range size " + size);
    }
  }

  private List<String> hadoop(byte[] bytes) throws IOException {
    Path file = tmp.resolve("lines.txt");
    Files.write(file, bytes);
    Configuration conf = new Configuration();
    LineRecordReader reader = new LineRecordReader();
    reader.initialize(new FileSplit(new org.apache.hadoop.fs.Path(file.toUri()), 0, bytes.length, null),
        new TaskAttemptContextImpl(conf, new TaskAttemptID()));
    List<String> lines = new ArrayList<>();
    while (reader.nextKeyValue()) {
      lines.add(reader.getCurrentKey().get() + " [" + reader.getCurrentValue().toString() + "]");
    }
    reader.close();
    return lines;
  }
}
