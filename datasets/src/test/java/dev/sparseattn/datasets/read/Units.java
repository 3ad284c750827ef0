package dev.sparseattn.datasets.read;

import dev.sparseattn.datasets.read.DocLine;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Test helpers: run a reader over a string. */
final class Units {
  private Units() {}

  static List<DocLine> read(RecordFormat format, String content) {
    List<DocLine> out = new ArrayList<>();
    format.open(new ByteArrayInputStream(content.getBytes(StandardCharsets.ISO_8859_1))).forEachRemaining(out::add);
    return out;
  }

  static String text(DocLine d) {
    return new String(d.bytes(), StandardCharsets.UTF_8);
  }
}
