package dev.sparseattn.datasets.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * A strict, typed reader over one section of a job's configuration (e.g. {@code train}). Every getter
 * checks type and range and names the full key when it fails; {@link #finish()} rejects keys that no
 * getter asked for, so a typo fails fast instead of being ignored. Every value read (defaults
 * included) is recorded, and {@link #resolved()} returns them for writing next to the outputs.
 *
 * <p>Typical use in a config record: {@code new Section(config, "train")}, one getter per field, then
 * {@code finish()}.
 */
public final class Section {
  private final Config config;
  private final String path;
  private final Map<String, Object> read = new LinkedHashMap<>();
  private final List<Section> children = new ArrayList<>();
  private final Map<String, List<Section>> listChildren = new LinkedHashMap<>();

  /** The section at {@code path} of {@code root}; a missing section reads as empty (all defaults). */
  public Section(Config root, String path) {
    this.path = path;
    if (path.isEmpty()) {
      this.config = root;
    } else if (!root.hasPath(path)) {
      this.config = ConfigFactory.empty();
    } else if (root.getValue(path).valueType() != ConfigValueType.OBJECT) {
      throw new ConfigError(path, "must be a section { ... }, got " + describe(root, path));
    } else {
      this.config = root.getConfig(path);
    }
  }

  /** The full path of this section. */
  public String path() {
    return path;
  }

  /** The full path of a key in this section, for messages. */
  public String key(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  public boolean has(String key) {
    return config.hasPath(key);
  }

  /** A required string. */
  public String string(String key) {
    require(key);
    return record(key, get(key, ConfigValueType.STRING, "a string", () -> config.getString(key)));
  }

  public String string(String key, String dflt) {
    return config.hasPath(key) ? string(key) : record(key, dflt);
  }

  /** An integer in the closed range [min, max]. */
  public int integer(String key, int dflt, int min, int max) {
    return record(key, (int) inRange(key, dflt, min, max));
  }

  /** A 64-bit integer in the closed range [min, max]; fractional values are rejected, not truncated. */
  public long longValue(String key, long dflt, long min, long max) {
    return record(key, inRange(key, dflt, min, max));
  }

  private long inRange(String key, long dflt, long min, long max) {
    long v = config.hasPath(key) ? integral(key) : dflt;
    if (v < min || v > max) {
      throw new ConfigError(key(key), "must be in [" + min + ", " + max + "], got " + v);
    }
    return v;
  }

  /**
   * A size in bytes in the closed range [min, max]: a plain number of bytes or a HOCON size string
   * such as {@code "4 MiB"}, {@code "512k"} (binary units; {@code "MB"} means 10^6).
   */
  public long bytes(String key, long dflt, long min, long max) {
    long v = config.hasPath(key)
        ? get(key, ConfigValueType.NUMBER, "a size in bytes (e.g. 4194304 or \"4 MiB\")", () -> config.getBytes(key))
        : dflt;
    if (v < min || v > max) {
      throw new ConfigError(key(key), "must be in [" + min + ", " + max + "] bytes, got " + v);
    }
    return record(key, v);
  }

  private long integral(String key) {
    Number n = get(key, ConfigValueType.NUMBER, "an integer", () -> config.getNumber(key));
    if (n instanceof Integer || n instanceof Long) {
      return n.longValue();
    }
    double d = n.doubleValue();
    if (d != Math.rint(d) || Double.isInfinite(d)) {
      throw new ConfigError(key(key), "must be an integer, got " + describe(config, key));
    }
    if (d < Long.MIN_VALUE || d > Long.MAX_VALUE) {
      throw new ConfigError(key(key), "is out of range, got " + describe(config, key));
    }
    return (long) d;
  }

  /** A number in the closed range [min, max]. */
  public double number(String key, double dflt, double min, double max) {
    double v = config.hasPath(key) ? get(key, ConfigValueType.NUMBER, "a number", () -> config.getDouble(key)) : dflt;
    if (!(v >= min && v <= max)) {
      throw new ConfigError(key(key), "must be in [" + min + ", " + max + "], got " + v);
    }
    return record(key, v);
  }

  public boolean bool(String key, boolean dflt) {
    boolean v = config.hasPath(key) ? get(key, ConfigValueType.BOOLEAN, "true or false", () -> config.getBoolean(key)) : dflt;
    return record(key, v);
  }

  /** One of an enum's constants, written in lower kebab case ({@code SLIDING_WINDOW} is {@code sliding-window}). */
  public <E extends Enum<E>> E choice(String key, Class<E> type, E dflt) {
    if (!config.hasPath(key)) {
      record(key, kebab(dflt));
      return dflt;
    }
    String s = get(key, ConfigValueType.STRING, "a string", () -> config.getString(key));
    for (E e : type.getEnumConstants()) {
      if (kebab(e).equals(s.trim().toLowerCase(Locale.ROOT))) {
        record(key, kebab(e));
        return e;
      }
    }
    throw new ConfigError(key(key), "must be one of "
        + Arrays.stream(type.getEnumConstants()).map(Section::kebab).collect(Collectors.toList())
        + ", got '" + s + "'");
  }

  /** A required, non-empty list of strings. */
  public List<String> strings(String key) {
    require(key);
    List<String> v = strings(key, List.of());
    check(!v.isEmpty(), key, "must list at least one value");
    return v;
  }

  public List<String> strings(String key, List<String> dflt) {
    List<String> v = config.hasPath(key)
        ? get(key, ConfigValueType.LIST, "a list of strings", () -> config.getStringList(key))
        : dflt;
    return record(key, List.copyOf(v));
  }

  public List<Integer> integers(String key, List<Integer> dflt) {
    List<Integer> v = config.hasPath(key)
        ? get(key, ConfigValueType.LIST, "a list of integers", () -> config.getIntList(key))
        : dflt;
    return record(key, List.copyOf(v));
  }

  /** A nested section; its keys are checked by this section's {@link #finish()}. */
  /**
   * A list of sections, e.g. {@code attention = [{ kind = sliding-window, window = 64 }]}; each element is
   * read like a section (messages name {@code key[i].field}) and checked by this section's {@link #finish()}.
   */
  public List<Section> sections(String key) {
    List<? extends Config> list = config.hasPath(key)
        ? get(key, ConfigValueType.LIST, "a list of sections [{ ... }]", () -> config.getConfigList(key))
        : List.of();
    List<Section> elements = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      elements.add(new Section(key(key) + "[" + i + "]", list.get(i)));
    }
    listChildren.put(key, elements);
    return elements;
  }

  private Section(String path, Config sectionConfig) {
    this.path = path;
    this.config = sectionConfig;
  }

  public Section section(String key) {
    Section child = new Section(withKey(key), key(key));
    children.add(child);
    return child;
  }

  private Config withKey(String key) {
    // Sections are addressed from the root so that messages carry full paths. The value is re-rooted
    // as it is (not via getConfig) so that a non-object value fails in the constructor with a
    // ConfigError naming the key instead of a raw ConfigException.WrongType.
    return config.hasPath(key) ? config.getValue(key).atPath(key(key)) : ConfigFactory.empty();
  }

  /** Fails on any key of this section (or nested sections) that no getter read. */
  public void finish() {
    Set<String> unknown = new TreeSet<>();
    for (String k : config.root().keySet()) {
      boolean known = read.containsKey(k) || listChildren.containsKey(k)
          || children.stream().anyMatch(c -> c.path.equals(key(k)));
      if (!known) {
        unknown.add(key(k));
      }
    }
    if (!unknown.isEmpty()) {
      Set<String> allowed = new TreeSet<>(read.keySet());
      children.forEach(c -> allowed.add(c.path.substring(c.path.lastIndexOf('.') + 1)));
      allowed.addAll(listChildren.keySet());
      throw new ConfigError(String.join(", ", unknown), "unknown key" + (unknown.size() > 1 ? "s" : "")
          + "; " + (path.isEmpty() ? "the top level" : "'" + path + "'") + " accepts " + allowed);
    }
    children.forEach(Section::finish);
    listChildren.values().forEach(l -> l.forEach(Section::finish));
  }

  /** Everything read so far, nested sections included. */
  public ResolvedConfig resolved() {
    return new ResolvedConfig(path, tree());
  }

  private Map<String, Object> tree() {
    Map<String, Object> all = new LinkedHashMap<>();
    // Unset optional keys (null defaults) are left out: an absent key parses back to the same default.
    read.forEach((k, v) -> {
      if (v != null) {
        all.put(k, v);
      }
    });
    for (Section c : children) {
      all.put(c.path.substring(c.path.lastIndexOf('.') + 1), c.tree());
    }
    listChildren.forEach((k, l) -> all.put(k, l.stream().map(Section::tree).toList()));
    return all;
  }

  /** Fails with a message naming the key unless {@code ok}. */
  public void check(boolean ok, String key, String problem) {
    if (!ok) {
      throw new ConfigError(key(key), problem);
    }
  }

  private void require(String key) {
    if (!config.hasPath(key)) {
      throw new ConfigError(key(key), config.hasPathOrNull(key) ? "must not be null" : "is required but missing");
    }
  }

  private <T> T record(String key, T value) {
    read.put(key, value);
    return value;
  }

  private interface Getter<T> {
    T get();
  }

  private <T> T get(String key, ConfigValueType expected, String what, Getter<T> getter) {
    try {
      return getter.get();
    } catch (ConfigException.WrongType | ConfigException.BadValue | ConfigException.Null e) {
      throw new ConfigError(key(key), "must be " + what + ", got " + describe(config, key));
    }
  }

  private static String describe(Config c, String key) {
    if (!c.hasPathOrNull(key)) {
      return "nothing";
    }
    if (c.getIsNull(key)) {
      return "null";
    }
    var v = c.getValue(key);
    return v.valueType().name().toLowerCase(Locale.ROOT) + " " + v.render();
  }

  static String kebab(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
