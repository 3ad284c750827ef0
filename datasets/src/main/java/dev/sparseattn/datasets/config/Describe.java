package dev.sparseattn.datasets.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Runs a job's parse function on an empty configuration in describe mode (see {@link Section}): no
 * required key is missing and no check fails, and every {@link Section} the parser opens on the root is
 * collected, with every key it read, its kind and its default. This is how a job knows, without a
 * separate list that could fall behind, which sections it reads and what their keys are.
 */
public final class Describe {
  private static final ThreadLocal<List<Section>> ROOTS = new ThreadLocal<>();

  private Describe() {}

  static boolean active() {
    return ROOTS.get() != null;
  }

  static void register(Section root) {
    ROOTS.get().add(root);
  }

  /** The job sections the parser opens, in order, each with the keys it read ({@link Section#keys()}). */
  public static List<Section> sections(Function<Config, ?> parse) {
    List<Section> roots = new ArrayList<>();
    List<Section> outer = ROOTS.get();
    ROOTS.set(roots);
    try {
      parse.apply(ConfigFactory.empty());
    } finally {
      if (outer == null) {
        ROOTS.remove();
      } else {
        ROOTS.set(outer);
      }
    }
    return roots;
  }

  /**
   * The names of the top-level sections a parser reads, or {@code null} if the parser cannot run in
   * describe mode (then its sections are unknown and the caller cannot check top-level keys).
   */
  public static Set<String> sectionNames(Function<Config, ?> parse) {
    Set<String> names = new LinkedHashSet<>();
    try {
      sections(parse).forEach(s -> names.add(top(s.path())));
    } catch (RuntimeException e) {
      return null;
    }
    return names;
  }

  private static String top(String path) {
    int dot = path.indexOf('.');
    return dot < 0 ? path : path.substring(0, dot);
  }
}
