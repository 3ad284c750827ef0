package dev.sparseattn.datasets.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SectionTest {
  enum Mode { LINE, SLIDING_WINDOW }

  private static Config hocon(String text) {
    return ConfigFactory.parseString(text).resolve();
  }

  private static ConfigError fails(String text, java.util.function.Consumer<Section> reads) {
    return assertThrows(ConfigError.class, () -> {
      Section s = new Section(hocon(text), "job");
      reads.accept(s);
      s.finish();
    });
  }

  @Test
  void readsTypedValuesAndDefaults() {
    Section s = new Section(hocon("job { n = 3, x = 0.5, mode = sliding-window, on = true, size = \"4 MiB\","
        + " names = [a, b], inner { k = v } }"), "job");
    assertEquals(3, s.integer("n", 1, 0, 10));
    assertEquals(7, s.integer("missing", 7, 0, 10));
    assertEquals(0.5, s.number("x", 0, 0, 1));
    assertEquals(Mode.SLIDING_WINDOW, s.choice("mode", Mode.class, Mode.LINE));
    assertTrue(s.bool("on", false));
    assertEquals(4L << 20, s.bytes("size", 1, 1, 1L << 30));
    assertEquals(List.of("a", "b"), s.strings("names"));
    assertEquals("v", s.section("inner").string("k"));
    s.finish();
    Map<String, Object> v = s.resolved().values();
    assertEquals(7, v.get("missing"));
    assertEquals("sliding-window", v.get("mode"));
    assertEquals(Map.of("k", "v"), v.get("inner"));
  }

  @Test
  void resolvedRendersBackToTheSameValues() {
    Section s = new Section(hocon("job { n = 3, names = [a, b], inner { k = v } }"), "job");
    s.integer("n", 1, 0, 10);
    s.strings("names");
    s.section("inner").string("k");
    s.string("absent", null); // unset optional key: left out, not a crash
    s.finish();
    ResolvedConfig r = s.resolved();
    assertFalse(r.values().containsKey("absent"));
    Section again = new Section(hocon(r.render()), "job");
    again.integer("n", 1, 0, 10);
    again.strings("names");
    again.section("inner").string("k");
    assertEquals(r, again.resolved());
  }

  @Test
  void unknownKeyIsNamedWithItsFullPath() {
    ConfigError e = fails("job { n = 3, nn = 4 }", s -> s.integer("n", 1, 0, 10));
    assertEquals("job.nn", e.key());
    assertTrue(e.getMessage().startsWith("job.nn: unknown key"), e.getMessage());
    assertTrue(e.getMessage().contains("[n]"), "lists the accepted keys: " + e.getMessage());

    ConfigError nested = fails("job { inner { k = v, typo = 1 } }", s -> s.section("inner").string("k"));
    assertEquals("job.inner.typo", nested.key());
  }

  @Test
  void wrongTypesAreNamed() {
    assertEquals("job.n", fails("job { n = abc }", s -> s.integer("n", 1, 0, 10)).key());
    ConfigError frac = fails("job { n = 2.5 }", s -> s.integer("n", 1, 0, 10));
    assertTrue(frac.getMessage().contains("must be an integer"), frac.getMessage());
    assertEquals("job.on", fails("job { on = maybe }", s -> s.bool("on", false)).key());
    assertEquals("job.names", fails("job { names = a }", s -> s.strings("names", List.of())).key());
    ConfigError mode = fails("job { mode = circle }", s -> s.choice("mode", Mode.class, Mode.LINE));
    assertTrue(mode.getMessage().contains("[line, sliding-window]"), mode.getMessage());
    ConfigError section = fails("job { inner = 5 }", s -> s.section("inner"));
    assertEquals("job.inner", section.key());
    assertTrue(section.getMessage().contains("must be a section"), section.getMessage());
    assertEquals("job.size", fails("job { size = \"4 parsecs\" }", s -> s.bytes("size", 1, 1, 100)).key());
  }

  @Test
  void outOfRangeValuesAreNamed() {
    ConfigError e = fails("job { n = 11 }", s -> s.integer("n", 1, 0, 10));
    assertEquals("job.n: must be in [0, 10], got 11", e.getMessage());
    ConfigError big = fails("job { n = 10000000000 }", s -> s.integer("n", 1, 0, 10));
    assertTrue(big.getMessage().startsWith("job.n: must be in [0, 10]"), big.getMessage());
    ConfigError x = fails("job { x = 2 }", s -> s.number("x", 0, 0, 0.5));
    assertEquals("job.x", x.key());
  }

  @Test
  void missingRequiredValuesAreNamed() {
    assertEquals("job.out", fails("job { }", s -> s.string("out")).key());
    assertEquals("job.in", fails("job { }", s -> s.strings("in")).key());
    assertEquals("job.in", fails("job { in = [] }", s -> s.strings("in")).key());
  }
}
