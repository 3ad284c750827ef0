package dev.sparseattn.trainer.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Training metrics as JSON lines, one object per event ({@code {"event":"train","step":10,...}}),
 * flushed as they are written so a run can be followed with {@code tail -f}. The points are kept for
 * the loss-curve picture.
 */
public final class MetricsLog implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One plotted point: step and value in bits per token. */
  public record Point(long step, double bits) {}

  private final OutputStream out;
  private final List<Point> train = new ArrayList<>();
  private final List<Point> validation = new ArrayList<>();

  public MetricsLog(OutputStream out) {
    this.out = out;
  }

  /** Writes one event; {@code fields} keep their order. */
  public void write(String event, Map<String, ?> fields) {
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("event", event);
    line.putAll(fields);
    try {
      out.write(JSON.writeValueAsString(line).getBytes(StandardCharsets.UTF_8));
      out.write('\n');
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write metrics", e);
    }
  }

  public void trainPoint(long step, double bits) {
    train.add(new Point(step, bits));
  }

  public void validationPoint(long step, double bits) {
    validation.add(new Point(step, bits));
  }

  public List<Point> trainPoints() {
    return List.copyOf(train);
  }

  public List<Point> validationPoints() {
    return List.copyOf(validation);
  }

  @Override
  public void close() throws IOException {
    out.close();
  }
}
