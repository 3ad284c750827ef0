package dev.sparseattn.datasets.read;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparseattn.datasets.read.DocLine;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * JSON lines: one JSON object per line, the document being the string at {@code field} (a dotted path
 * for nested objects, e.g. {@code meta.body}). Blank lines are skipped. Quarantined: lines that are
 * not JSON ({@code malformed-json}), objects without the field or with a non-string value
 * ({@code missing-field}), lines over {@value #MAX_LINE} bytes ({@code too-long}).
 */
public final class JsonLinesReader implements SplittableFormat {
  private static final long serialVersionUID = 1L;
  static final int MAX_LINE = 1 << 26;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String field;

  public JsonLinesReader(String field) {
    this.field = field;
  }

  @Override
  public Units open(InputStream in) {
    return new Reader(new ByteLines(in, MAX_LINE), Long.MAX_VALUE);
  }

  @Override
  public Units openSplit(RangeInput file, long start, long end) throws java.io.IOException {
    long first = Resync.nextLineStart(file, start);
    return new Reader(new ByteLines(file.openAt(first), MAX_LINE, first), end);
  }

  private final class Reader extends QueuedUnits {
    private final ByteLines lines;
    private final long end;
    private final String[] path = field.split("\\.");

    Reader(ByteLines lines, long end) {
      this.lines = lines;
      this.end = end;
    }

    @Override
    protected boolean advance() {
      while (lines.next()) {
        if (lines.offset() >= end) {
          return false;
        }
        if (lines.length() == 0) {
          continue;
        }
        long offset = lines.offset();
        byte[] sample = Arrays.copyOf(lines.bytes(), Math.min(96, lines.length()));
        if (lines.truncated()) {
          emit(DocLine.quarantined(offset, nextRecordNo(), sample, "too-long: a line over " + MAX_LINE + " bytes"));
          return true;
        }
        JsonNode node;
        try {
          node = JSON.readTree(lines.bytes(), 0, lines.length());
        } catch (JsonProcessingException e) {
          emit(DocLine.quarantined(offset, nextRecordNo(), sample, "malformed-json: " + e.getOriginalMessage()));
          return true;
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
        for (String key : path) {
          node = node == null ? null : node.get(key);
        }
        if (node == null || !node.isTextual()) {
          emit(DocLine.quarantined(offset, nextRecordNo(), sample, "missing-field: no string at '" + field + "'"));
        } else {
          emit(DocLine.document(offset, nextRecordNo(), node.asText().getBytes(StandardCharsets.UTF_8), 1, null));
        }
        return true;
      }
      return false;
    }

    @Override
    public long position() {
      return lines.consumed();
    }
  }
}
