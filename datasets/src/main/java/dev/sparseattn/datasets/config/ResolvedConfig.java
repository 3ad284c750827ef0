package dev.sparseattn.datasets.config;

import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValueFactory;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The configuration a job really used: every key it read, defaults included, as a tree. Rendered as
 * HOCON it can be fed back to the same job to repeat the run, so jobs write it next to their outputs.
 */
public final class ResolvedConfig {
  private final String path;
  private final Map<String, Object> values;

  ResolvedConfig(String path, Map<String, Object> values) {
    this.path = path;
    // Insertion order (the order keys were read) is kept for values(); render() sorts keys anyway.
    this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
  }

  /** The section this configuration came from, e.g. {@code train}. */
  public String path() {
    return path;
  }

  /** Key to value; nested sections are maps. */
  public Map<String, Object> values() {
    return values;
  }

  /** HOCON text {@code path { ... }} that parses back to the same values. */
  public String render() {
    Map<String, Object> rooted = path.isEmpty() ? values : nest(path, values);
    return ConfigValueFactory.fromMap(rooted)
        .render(ConfigRenderOptions.defaults().setOriginComments(false).setJson(false));
  }

  private static Map<String, Object> nest(String path, Map<String, Object> values) {
    int dot = path.indexOf('.');
    return dot < 0
        ? Map.of(path, values)
        : Map.of(path.substring(0, dot), nest(path.substring(dot + 1), values));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ResolvedConfig r && r.path.equals(path) && r.values.equals(values);
  }

  @Override
  public int hashCode() {
    return Objects.hash(path, values);
  }

  @Override
  public String toString() {
    return render();
  }
}
