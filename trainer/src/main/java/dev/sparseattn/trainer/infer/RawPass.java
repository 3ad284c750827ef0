package dev.sparseattn.trainer.infer;

import dev.sparseattn.datasets.read.DocLine;
import dev.sparseattn.datasets.read.RecordFormat;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * A Spark task over some raw input files ({@link RawInput}): streams each file's units through its record reader,
 * tokenizes documents with the model's own tokenizer and scores or embeds them {@value #DOCUMENTS_PER_CALL} at a time
 * with {@link DocumentScorer} (a document is {@code EOS + its tokens}, in windows of the model's length). Output rows
 * have the prepared-data jobs' layout {@code [seq_id, shard, <columns>, reason]} with {@code seq_id} the record number
 * within the file and {@code shard} the file's URI. Quarantined, with the reason: what the reader refuses (malformed
 * JSON, a missing field, a too-long record), text that is not UTF-8 ({@code invalid-utf8}), what the tokenizer refuses
 * or turns into no tokens ({@code empty}), and a file that cannot be opened or ends early ({@code unreadable}).
 */
final class RawPass implements FlatMapFunction<Iterator<String>, Row> {
  private static final long serialVersionUID = 1L;
  private static final int DOCUMENTS_PER_CALL = 256;

  private final ModelRef model;
  private final RawInput input;
  private final int batchSize;
  private final int window;   // tokens per window, 0 for the model's own length
  private final int stride;   // tokens between window starts, 0 for disjoint windows
  private final boolean embed;

  /** {@code embed}: the embed job's columns ({@link EmbedPass#columns}), else the score job's without token bits. */
  RawPass(ModelRef model, RawInput input, int batchSize, int window, int stride, boolean embed) {
    this.model = model;
    this.input = input;
    this.batchSize = batchSize;
    this.window = window;
    this.stride = stride;
    this.embed = embed;
  }

  private int columnCount() {
    return embed ? 3 : 5;
  }

  @Override
  public Iterator<Row> call(Iterator<String> files) {
    Configuration conf = model.hadoopConfiguration();
    RecordFormat format = input.reader();
    return new Iterator<>() {
      private final ArrayDeque<Row> ready = new ArrayDeque<>();
      private String file;
      private InputStream stream;
      private RecordFormat.Units units;

      @Override
      public boolean hasNext() {
        while (ready.isEmpty() && (units != null || files.hasNext())) {
          if (units == null) {
            open(files.next());
          }
          if (units != null) {
            fill();
          }
        }
        return !ready.isEmpty();
      }

      @Override
      public Row next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return ready.poll();
      }

      private void open(String f) {
        file = f;
        try {
          Path path = new Path(f);
          CompressionCodec codec = new CompressionCodecFactory(conf).getCodec(path);
          InputStream raw = path.getFileSystem(conf).open(path);
          stream = codec == null ? raw : codec.createInputStream(raw);
          units = format.open(stream);
        } catch (IOException | RuntimeException e) {
          ready.add(rejected(0, "unreadable: " + e.getMessage()));
          close();
        }
      }

      private void close() {
        units = null;
        if (stream != null) {
          try {
            stream.close();
          } catch (IOException ignored) {
            // read to the end already, or failed: nothing more to report
          }
          stream = null;
        }
      }

      private void fill() {
        List<String> docs = new ArrayList<>(DOCUMENTS_PER_CALL);
        List<Long> ids = new ArrayList<>(DOCUMENTS_PER_CALL);
        try {
          while (docs.size() < DOCUMENTS_PER_CALL && units.hasNext()) {
            long no = units.count();
            DocLine d = units.next();
            long id = d.recordNo() >= 0 ? d.recordNo() : no;
            if (d.bad()) {
              ready.add(rejected(id, d.reason()));
              continue;
            }
            String text = utf8(d.bytes());
            if (text == null) {
              ready.add(rejected(id, "invalid-utf8: the record is not UTF-8 text"));
              continue;
            }
            docs.add(text);
            ids.add(id);
          }
          if (docs.size() < DOCUMENTS_PER_CALL) {
            close();
          }
        } catch (UncheckedIOException e) {
          ready.add(rejected(units == null ? 0 : units.count(), "unreadable: the file ends early or cannot be read: "
              + e.getMessage()));
          close();
        }
        if (docs.isEmpty()) {
          return;
        }
        List<DocumentScorer.Outcome> out;
        try (ModelCache.Lease lease = ModelCache.borrow(model, window)) {
          out = DocumentScorer.score(lease, docs, batchSize, stride, embed);
        }
        for (int i = 0; i < docs.size(); i++) {
          DocumentScorer.Outcome o = out.get(i);
          if (o.reason() != null) {
            ready.add(rejected(ids.get(i), o.reason()));
            continue;
          }
          Object[] v = new Object[columnCount() + 3];
          v[0] = ids.get(i);
          v[1] = file;
          if (embed) {
            v[2] = o.positions();
            v[3] = o.mean();
            v[4] = o.last();
          } else {
            v[2] = o.tokens();
            v[3] = o.bits();
            v[4] = o.bits() / o.tokens();
            v[5] = o.units();
            v[6] = o.bitsPerUnit();
          }
          ready.add(RowFactory.create(v));
        }
      }

      private Row rejected(long id, String reason) {
        Object[] v = new Object[columnCount() + 3];
        v[0] = id;
        v[1] = file;
        v[v.length - 1] = reason;
        return RowFactory.create(v);
      }
    };
  }

  /** The text of UTF-8 bytes, or null when they are not valid UTF-8 (never silently replaced). */
  private static String utf8(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }
}
