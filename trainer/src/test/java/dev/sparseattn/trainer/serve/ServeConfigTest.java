package dev.sparseattn.trainer.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.sparseattn.datasets.config.Cli;
import dev.sparseattn.datasets.config.ConfigError;
import dev.sparseattn.datasets.config.Help;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The serve section: defaults, validation naming the key, help, and the job failing clearly before it listens. */
class ServeConfigTest {
  private static ServeConfig parse(String text) {
    return ServeConfig.parse(ConfigFactory.parseString(text).resolve());
  }

  @Test
  void defaults() {
    ServeConfig c = parse("serve.model = m");
    assertEquals("127.0.0.1", c.host());
    assertEquals(8080, c.port());
    assertEquals(8, c.maxConcurrent());
    assertEquals(0, c.maxPromptTokens());
    assertEquals(1 << 20, c.maxBodyBytes());
    assertEquals(60_000, c.timeoutMs());
  }

  @Test
  void badValuesNameTheirKey() {
    assertTrue(assertThrows(ConfigError.class, () -> parse("serve { model = m, port = 70000 }")).getMessage()
        .contains("serve.port"));
    assertTrue(assertThrows(ConfigError.class, () -> parse("serve { model = m, max-concurrent = 0 }")).getMessage()
        .contains("serve.max-concurrent"));
    assertTrue(assertThrows(ConfigError.class, () -> parse("serve { model = m, max-body-bytes = lots }"))
        .getMessage().contains("serve.max-body-bytes"));
    assertTrue(assertThrows(ConfigError.class, () -> parse("serve { model = m, host = \" \" }")).getMessage()
        .contains("serve.host"));
    assertTrue(assertThrows(ConfigError.class, () -> parse("serve { model = m, timeout = 5 }")).getMessage()
        .contains("serve.timeout"));
    assertTrue(assertThrows(ConfigError.class, () -> parse("serve { port = 1 }")).getMessage()
        .contains("serve.model"));
  }

  @Test
  void streamNeedsRotaryPositions() {
    dev.sparseattn.trainer.model.network.TransformerConfig learned =
        new dev.sparseattn.trainer.model.network.TransformerConfig(260, 64, 16, 2, 2, 32, 1);
    ServeConfig stream = parse("serve { model = m, overflow = stream }");
    assertEquals(ServeConfig.Overflow.STREAM, stream.overflow());
    assertEquals(ServeConfig.Overflow.ERROR, parse("serve.model = m").overflow());
    ConfigError e = assertThrows(ConfigError.class, () -> Limits.of(stream, learned));
    assertTrue(e.getMessage().contains("serve.overflow") && e.getMessage().contains("rotary"), e.getMessage());
    Limits rotary = Limits.of(stream, learned.withRotaryPositions());
    assertEquals(1 + 63 + 256, rotary.slotLength());
    assertTrue(assertThrows(ConfigError.class, () -> parse("serve { model = m, overflow = wrap }")).getMessage()
        .contains("serve.overflow"));
  }

  @Test
  void everyKeyHasAMeaning() {
    assertEquals(Set.of(), Help.undocumented(ServeConfig::parse));
    assertEquals(Set.of(), Help.stale(ServeConfig::parse));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int status = Cli.execute("serve", new String[] {"--help"}, ServeConfig::parse, c -> {
      throw new AssertionError("must not run");
    }, new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
    assertEquals(0, status);
    String help = out.toString(StandardCharsets.UTF_8);
    assertTrue(help.contains("  serve.model (required)    [string]\n"), help);
    assertTrue(help.contains("  serve.port = 8080    [integer in [0, 65535]]\n"), help);
  }

  @Test
  void aMissingModelStopsTheJobBeforeItListens(@TempDir Path tmp) throws Exception {
    Path conf = tmp.resolve("serve.conf");
    Files.writeString(conf, "serve { model = \"" + tmp.resolve("none").toUri() + "\", port = 0 }\n");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Cli.execute("serve", new String[] {conf.toString()}, ServeConfig::parse, Serve::run,
        new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(2, status, err.toString(StandardCharsets.UTF_8));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("no model directory"), err.toString());
  }
}
