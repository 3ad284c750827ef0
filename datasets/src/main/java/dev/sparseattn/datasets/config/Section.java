package dev.sparseattn.datasets.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValueFactory;
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
 *
 * <p>Describe mode ({@link Describe}): a job's parse function run on an empty configuration, where a
 * missing required key reads as empty and {@link #check} passes, so that every key a parser reads is
 * recorded with its kind and default ({@link #keys()}) for {@code --help}. A list of sections then reads
 * one empty element, {@code key[]}, so that the keys of its elements are listed too.
 */
public final class Section {
  private final Config config;
  private final String path;
  private final Map<String, Object> read = new LinkedHashMap<>();
  private final List<Section> children = new ArrayList<>();
  private final Map<String, List<Section>> listChildren = new LinkedHashMap<>();
  private final Map<String, String> kinds = new LinkedHashMap<>();
  private final Set<String> required = new TreeSet<>();
  private final boolean describing;

  /** The section at {@code path} of {@code root}; a missing section reads as empty (all defaults). */
  public Section(Config root, String path) {
    this(root, path, Describe.active());
    if (describing) {
      Describe.register(this);
    }
  }

  private Section(Config root, String path, boolean describing) {
    this.path = path;
    this.describing = describing;
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
    if (!require(key, "string")) {
      return record(key, "");
    }
    return record(key, get(key, ConfigValueType.STRING, "a string", () -> config.getString(key)));
  }

  public String string(String key, String dflt) {
    kinds.put(key, "string");
    return config.hasPath(key) ? string(key) : record(key, dflt);
  }

  /** An integer in the closed range [min, max]. */
  public int integer(String key, int dflt, int min, int max) {
    kinds.put(key, range("integer", min, max, Integer.MIN_VALUE, Integer.MAX_VALUE));
    return record(key, (int) inRange(key, dflt, min, max));
  }

  /** A 64-bit integer in the closed range [min, max]; fractional values are rejected, not truncated. */
  public long longValue(String key, long dflt, long min, long max) {
    kinds.put(key, range("integer", min, max, Long.MIN_VALUE, Long.MAX_VALUE));
    return record(key, inRange(key, dflt, min, max));
  }

  private static String range(String what, long min, long max, long lowest, long highest) {
    return min == lowest && max == highest ? what : max == highest ? what + " >= " + min
        : what + " in [" + min + ", " + max + "]";
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
    kinds.put(key, "size in bytes in [" + min + ", " + max + "] (e.g. 4194304 or \"4 MiB\")");
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
    kinds.put(key, "number in [" + min + ", " + max + "]");
    double v = config.hasPath(key) ? get(key, ConfigValueType.NUMBER, "a number", () -> config.getDouble(key)) : dflt;
    if (!(v >= min && v <= max)) {
      throw new ConfigError(key(key), "must be in [" + min + ", " + max + "], got " + v);
    }
    return record(key, v);
  }

  public boolean bool(String key, boolean dflt) {
    kinds.put(key, "true | false");
    boolean v = config.hasPath(key) ? get(key, ConfigValueType.BOOLEAN, "true or false", () -> config.getBoolean(key)) : dflt;
    return record(key, v);
  }

  /** One of an enum's constants, written in lower kebab case ({@code SLIDING_WINDOW} is {@code sliding-window}). */
  public <E extends Enum<E>> E choice(String key, Class<E> type, E dflt) {
    kinds.put(key, Arrays.stream(type.getEnumConstants()).map(Section::kebab).collect(Collectors.joining(" | ")));
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
    if (!require(key, "list of strings")) {
      return record(key, List.of());
    }
    List<String> v = strings(key, List.of());
    check(!v.isEmpty(), key, "must list at least one value");
    return v;
  }

  public List<String> strings(String key, List<String> dflt) {
    kinds.put(key, "list of strings");
    List<String> v = config.hasPath(key)
        ? get(key, ConfigValueType.LIST, "a list of strings", () -> config.getStringList(key))
        : dflt;
    return record(key, List.copyOf(v));
  }

  public List<Integer> integers(String key, List<Integer> dflt) {
    kinds.put(key, "list of integers");
    List<Integer> v = config.hasPath(key)
        ? get(key, ConfigValueType.LIST, "a list of integers", () -> config.getIntList(key))
        : dflt;
    return record(key, List.copyOf(v));
  }

  /**
   * A list of sections, e.g. {@code attention = [{ kind = sliding-window, window = 64 }]}; each element is
   * read like a section (messages name {@code key[i].field}) and checked by this section's {@link #finish()}.
   */
  public List<Section> sections(String key) {
    List<? extends Config> list = config.hasPath(key)
        ? get(key, ConfigValueType.LIST, "a list of sections [{ ... }]", () -> config.getConfigList(key))
        : List.of();
    kinds.put(key, "list of sections [{ ... }]");
    List<Section> elements = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      elements.add(new Section(key(key) + "[" + i + "]", list.get(i), describing));
    }
    if (describing && list.isEmpty()) {
      elements.add(new Section(key(key) + "[]", ConfigFactory.empty(), true));
    }
    listChildren.put(key, elements);
    return elements;
  }

  private Section(String path, Config sectionConfig, boolean describing) {
    this.path = path;
    this.config = sectionConfig;
    this.describing = describing;
  }

  /** A nested section; its keys are checked by this section's {@link #finish()}. */
  public Section section(String key) {
    Section child = new Section(withKey(key), key(key), describing);
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

  /** Fails with a message naming the key unless {@code ok} (never in describe mode). */
  public void check(boolean ok, String key, String problem) {
    if (!ok && !describing) {
      throw new ConfigError(key(key), problem);
    }
  }

  /**
   * Every key read so far with its kind and default, nested sections and list elements included, in
   * the order read; keys are relative to this section ({@code csv.window}, {@code attention[].kind}).
   */
  public List<KeyDoc> keys() {
    List<KeyDoc> all = new ArrayList<>();
    collect("", all);
    return all;
  }

  private void collect(String prefix, List<KeyDoc> out) {
    kinds.forEach((k, kind) -> out.add(new KeyDoc(prefix + k, kind, required.contains(k) ? null
        : listChildren.containsKey(k) && !read.containsKey(k) ? "[]" : render(read.get(k)), required.contains(k))));
    for (Section c : children) {
      c.collect(prefix + c.path.substring(c.path.lastIndexOf('.') + 1) + ".", out);
    }
    listChildren.forEach((k, l) -> {
      if (!l.isEmpty()) {
        l.get(0).collect(prefix + k + "[].", out);
      }
    });
  }

  private static String render(Object v) {
    return v == null ? "unset" : ConfigValueFactory.fromAnyRef(v).render(ConfigRenderOptions.concise().setJson(false));
  }

  /** Whether a required key is present; fails naming it if not (in describe mode: records it, false). */
  private boolean require(String key, String kind) {
    kinds.put(key, kind);
    if (config.hasPath(key)) {
      return true;
    }
    if (describing) {
      required.add(key);
      return false;
    }
    throw new ConfigError(key(key), config.hasPathOrNull(key) ? "must not be null" : "is required but missing");
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
