package dev.sparseattn.datasets.read;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sparseattn.datasets.read.DocLine;
import java.util.List;
import org.junit.jupiter.api.Test;

class TextReadersTest {
  @Test
  void paragraphsAreBlankLineSeparatedBlocks() {
    String text = "\n\nfirst line\r\nsecond line\n \t\nthird\n\n\n\nlast block\nends here";
    List<DocLine> units = Units.read(new ParagraphReader(1 << 20), text);
    assertEquals(List.of("first line\nsecond line", "third", "last block\nends here"),
        units.stream().map(Units::text).toList());
    assertEquals(List.of(2L, 29L, 38L), units.stream().map(DocLine::offset).toList());
    List<DocLine> capped = Units.read(new ParagraphReader(12), "short\n\nthis block is too long\nfor the cap\n\nok\n");
    assertEquals("short", Units.text(capped.get(0)));
    assertEquals("too-long: a block over 12 bytes", capped.get(1).reason());
    assertEquals("ok", Units.text(capped.get(2)));
  }

  @Test
  void jsonLinesTakeTheConfiguredFieldAndQuarantineTheRest() {
    String jsonl = "{\"id\":1,\"meta\":{\"body\":\"caf\\u00e9 \\ud83d\\ude00\"}}\n\n"
        + "{\"id\":2,\"meta\":{\"body\":7}}\n"
        + "{\"id\":3}\n"
        + "not json at all\n"
        + "{\"id\":4,\"meta\":{\"body\":\"line\\nbreak\"}}\n";
    List<DocLine> units = Units.read(new JsonLinesReader("meta.body"), jsonl);
    assertEquals(5, units.size());
    assertEquals("caf\u00e9 \uD83D\uDE00", Units.text(units.get(0)));
    assertEquals("missing-field: no string at 'meta.body'", units.get(1).reason());
    assertEquals("missing-field: no string at 'meta.body'", units.get(2).reason());
    assertEquals("malformed-json", units.get(3).reasonCode());
    assertEquals("line\nbreak", Units.text(units.get(4)));
    assertEquals(List.of(0L, 1L, 2L, 3L, 4L), units.stream().map(DocLine::recordNo).toList());
  }

  @Test
  void textLinesAreDocumentsAndBlankLinesAreNotRecords() {
    List<DocLine> units = Units.read(new TextLinesReader(1024), "first\r\n\n \t\nsecond line\nlast");
    assertEquals(List.of("first", "second line", "last"), units.stream().map(Units::text).toList());
    assertEquals(List.of(0L, 11L, 23L), units.stream().map(DocLine::offset).toList());
    assertEquals(List.of(0L, 1L, 2L), units.stream().map(DocLine::recordNo).toList());
    List<DocLine> capped = Units.read(new TextLinesReader(1024), "ok\n" + "x".repeat(2000) + "\nafter\n");
    assertEquals("ok", Units.text(capped.get(0)));
    assertEquals("too-long: a line over 1024 bytes", capped.get(1).reason());
    assertEquals("after", Units.text(capped.get(2)));
    assertEquals(3, capped.size());
  }
}
