package dev.sparseattn.trainer.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.core.type.TypeReference;
import java.io.BufferedReader;
import org.apache.hadoop.fs.Syncable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
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

  /** Writes one event with alternating field names and values, in that order. */
  public void write(String event, Object... namesAndValues) {
    if (namesAndValues.length % 2 != 0) {
      throw new IllegalArgumentException("names and values must alternate");
    }
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("event", event);
    for (int i = 0; i < namesAndValues.length; i += 2) {
      line.put((String) namesAndValues[i], namesAndValues[i + 1]);
    }
    writeLine(line);
  }

  /**
   * Copies the events of an earlier, interrupted run up to {@code lastStep} (inclusive) into this log
   * and its plotted points, so that a resumed run's metrics and loss curve cover the whole run.
   */
  public void replay(InputStream earlier, long lastStep) throws IOException {
    BufferedReader r = new BufferedReader(new InputStreamReader(earlier, StandardCharsets.UTF_8));
    for (String s; (s = r.readLine()) != null; ) {
      if (s.isBlank()) {
        continue;
      }
      Map<String, Object> line = JSON.readValue(s, new TypeReference<LinkedHashMap<String, Object>>() {});
      long step = ((Number) line.getOrDefault("step", 0)).longValue();
      if (step > lastStep) {
        continue;
      }
      writeLine(line);
      if ("train".equals(line.get("event"))) {
        trainPoint(step, ((Number) line.get("smoothed_bits_per_token")).doubleValue());
      } else if ("validation".equals(line.get("event"))) {
        validationPoint(step, ((Number) line.get("bits_per_token")).doubleValue());
      }
    }
  }

  private void writeLine(Map<String, Object> line) {
    try {
      out.write(JSON.writeValueAsString(line).getBytes(StandardCharsets.UTF_8));
      out.write('\n');
      out.flush();
      if (out instanceof Syncable syncable) {
        syncable.hflush();   // visible to readers (and kept) even if the process dies next
      }
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
