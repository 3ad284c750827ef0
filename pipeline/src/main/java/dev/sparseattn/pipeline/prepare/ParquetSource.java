package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.read.DocLine;
import dev.sparseattn.pipeline.FormatOptions;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.stream.IntStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.SerializableConfiguration;
import scala.Tuple2;

/**
 * Documents of Parquet files ({@code format = parquet}), one task per row group: the driver reads
 * each file's footer and plans a task per row group; a task reads only the document column (and the
 * id column) of its row group and makes each row's string one document, the id (if configured) its
 * metadata {@code {"id": ...}}. Row {@code k} of a row group is record {@code firstRow + k} of the
 * file and has offset {@code start + k * compressedSize / rows} (the row group's byte range in the
 * file, spread over its rows): offsets order the rows and key them into packing chunks by file
 * position, whatever the number of tasks. Quarantined: a null document ({@code missing-field}), a
 * file whose footer cannot be read ({@code unreadable}: truncated, not Parquet), a file without the
 * column or with a non-string one ({@code missing-column}), a file without rows ({@code empty-file}),
 * a row group that fails to decode ({@code corrupt}: the rest of it).
 */
final class ParquetSource {
  private ParquetSource() {}

  static JavaPairRDD<ChunkId, DocLine> read(JavaSparkContext jsc, List<Path> files, long chunkBytes,
      FormatOptions.Parquet columns, DocCheck check) {
    Configuration hadoop = jsc.hadoopConfiguration();
    List<long[]> groups = new ArrayList<>(); // {file, row group (-1: the file is one bad unit), first row, start, bytes, rows}
    List<String> problems = new ArrayList<>();
    for (int i = 0; i < files.size(); i++) {
      String problem;
      try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(files.get(i), hadoop))) {
        problem = schemaProblem(r.getFooter().getFileMetaData().getSchema(), columns);
        long row = 0;
        List<BlockMetaData> blocks = r.getFooter().getBlocks();
        for (int b = 0; problem == null && b < blocks.size(); b++) {
          BlockMetaData m = blocks.get(b);
          groups.add(new long[] {i, b, row, m.getStartingPos(), m.getCompressedSize(), m.getRowCount()});
          problems.add(null);
          row += m.getRowCount();
        }
        if (problem == null && row == 0) {
          problem = "empty-file: no rows";
        }
      } catch (IOException | RuntimeException e) {
        problem = "unreadable: " + GuardedLineReader.message(e);
      }
      if (problem != null) {
        groups.add(new long[] {i, -1, 0, 0, 0, 0});
        problems.add(problem);
      }
    }
    List<String> paths = files.stream().map(Path::toString).toList();
    Broadcast<SerializableConfiguration> conf = jsc.broadcast(new SerializableConfiguration(hadoop));
    return jsc.parallelize(IntStream.range(0, groups.size()).boxed().toList(), Math.max(1, groups.size()))
        .flatMapToPair(k -> {
          long[] g = groups.get(k);
          int file = (int) g[0];
          String path = paths.get(file);
          Iterator<DocLine> rows = g[1] < 0
              ? List.of(DocLine.quarantined(0, 0, new byte[0], problems.get(k))).iterator()
              : new Rows(new Path(path), conf.value().value(), columns, g);
          return new Iterator<Tuple2<ChunkId, DocLine>>() {
            @Override
            public boolean hasNext() {
              return rows.hasNext();
            }

            @Override
            public Tuple2<ChunkId, DocLine> next() {
              DocLine d = check.admit(path, rows.next());
              return new Tuple2<>(new ChunkId(file, d.offset() / chunkBytes), d);
            }
          };
        });
  }

  /** Why the file cannot give documents from its schema, or null. */
  static String schemaProblem(MessageType schema, FormatOptions.Parquet columns) {
    for (String c : columns.idColumn().isEmpty() ? List.of(columns.column()) : List.of(columns.column(), columns.idColumn())) {
      if (!schema.containsField(c)) {
        return "missing-column: no column '" + c + "' in " + schema.getFields().stream().map(Type::getName).toList();
      }
      Type t = schema.getType(c);
      if (!t.isPrimitive() || t.isRepetition(Type.Repetition.REPEATED)) {
        return "missing-column: column '" + c + "' is not a single value: " + t;
      }
    }
    Type doc = schema.getType(columns.column());
    PrimitiveTypeName type = doc.asPrimitiveType().getPrimitiveTypeName();
    if (type != PrimitiveTypeName.BINARY && type != PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY) {
      return "missing-column: column '" + columns.column() + "' holds " + type + ", not strings";
    }
    return null;
  }

  /** The rows of one row group, read lazily; a decoding failure ends it with one {@code corrupt} unit. */
  private static final class Rows implements Iterator<DocLine> {
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    private final FormatOptions.Parquet columns;
    private final long firstRow;
    private final long start;
    private final long bytes;
    private final long rows;
    private ParquetFileReader reader;
    private RecordReader<Group> records;
    private long k;
    private DocLine last;
    private boolean done;

    Rows(Path path, Configuration conf, FormatOptions.Parquet columns, long[] g) {
      this.columns = columns;
      this.firstRow = g[2];
      this.start = g[3];
      this.bytes = g[4];
      this.rows = g[5];
      try {
        reader = ParquetFileReader.open(HadoopInputFile.fromPath(path, conf));
        MessageType file = reader.getFooter().getFileMetaData().getSchema();
        List<Type> fields = new ArrayList<>(List.of(file.getType(columns.column())));
        if (!columns.idColumn().isEmpty()) {
          fields.add(file.getType(columns.idColumn()));
        }
        MessageType projection = new MessageType(file.getName(), fields);
        reader.setRequestedSchema(projection);
        PageReadStore pages = reader.readRowGroup((int) g[1]);
        records = new ColumnIOFactory().getColumnIO(projection, file)
            .getRecordReader(pages, new GroupRecordConverter(projection));
      } catch (IOException | RuntimeException e) {
        fail(e);
      }
      TaskContext task = TaskContext.get();
      if (task != null) {
        task.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) ctx -> close());
      }
    }

    @Override
    public boolean hasNext() {
      if (last == null && !done) {
        if (k == rows) {
          done = true;
          close();
        } else {
          try {
            last = row(records.read());
          } catch (RuntimeException e) {
            fail(e);
          }
        }
      }
      return last != null;
    }

    @Override
    public DocLine next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      DocLine d = last;
      last = null;
      k++;
      return d;
    }

    private DocLine row(Group g) {
      long offset = offset(k);
      if (g.getFieldRepetitionCount(0) == 0) {
        return DocLine.quarantined(offset, firstRow + k, new byte[0], "missing-field: '" + columns.column() + "' is null");
      }
      String meta = null;
      if (!columns.idColumn().isEmpty() && g.getFieldRepetitionCount(1) > 0) {
        meta = JSON.createObjectNode().put("id", g.getValueToString(1, 0)).toString();
      }
      return DocLine.document(offset, firstRow + k, g.getBinary(0, 0).getBytes(), 1, meta);
    }

    private long offset(long row) {
      return start + (long) ((double) row * bytes / Math.max(1, rows));
    }

    private void fail(Exception e) {
      last = DocLine.quarantined(offset(k), firstRow + k, new byte[0], "corrupt: " + GuardedLineReader.message(e)
          + " at row " + k + " of " + rows + " in a row group");
      k = rows; // the rest of the row group is lost with this one unit
      done = true;
      close();
    }

    private void close() {
      if (reader != null) {
        try {
          reader.close();
        } catch (IOException e) {
          // the failure, if any, is recorded
        }
        reader = null;
      }
    }
  }
}
