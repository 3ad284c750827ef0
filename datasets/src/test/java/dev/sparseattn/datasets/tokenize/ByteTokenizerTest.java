package dev.sparseattn.datasets.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.config.DataError;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ByteTokenizerTest {
  private final Tokenizer tok = new ByteTokenizer();

  @ParameterizedTest
  @ValueSource(strings = {"", "In the beginning God created the heaven and the earth.",
      "héllo wörld — ½ ∑ 中文 日本語", "emoji 😀👍🏽 and flags 🇫🇷 (surrogate pairs)", "tab\tand\u0000nul"})
  void roundTripsText(String text) {
    int[] ids = tok.encode(text);
    byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
    assertEquals(utf8.length, ids.length, "one id per UTF-8 byte");
    for (int i = 0; i < ids.length; i++) {
      assertEquals(utf8[i] & 0xff, ids[i]);
    }
    assertEquals(text, tok.decode(ids));
  }

  @Test
  void encodesASliceOfABuffer() {
    byte[] buf = "xxabcxx".getBytes(StandardCharsets.UTF_8);
    assertArrayEquals(new int[] {'a', 'b', 'c'}, tok.encodeUtf8(buf, 2, 3));
  }

  @Test
  void invalidUtf8EncodesLosslesslyAndDecodesWithReplacement() {
    byte[] invalid = {'a', (byte) 0xff, 'b', (byte) 0x80, (byte) 0xe2, (byte) 0x82};
    int[] ids = tok.encodeUtf8(invalid);
    assertArrayEquals(new int[] {'a', 0xff, 'b', 0x80, 0xe2, 0x82}, ids);
    String decoded = tok.decode(ids);
    assertTrue(decoded.startsWith("a\uFFFDb\uFFFD"), decoded);
    assertTrue(decoded.endsWith("\uFFFD"), "truncated sequence at the end: " + decoded);
  }

  @Test
  void specialsAndUnknownIds() {
    assertEquals(258, tok.vocabSize());
    assertEquals(256, tok.padId());
    assertEquals(257, tok.eosId());
    int[] ids = {'h', 'i', ByteTokenizer.EOS, 'y', 'o', ByteTokenizer.EOS, ByteTokenizer.PAD, ByteTokenizer.PAD};
    assertEquals("hi\nyo\n", tok.decode(ids), "EOS renders as a newline, PAD is skipped");
    assertEquals("i\ny", tok.decode(ids, 1, 4));
    assertEquals("a\uFFFDb\uFFFD", tok.decode(new int[] {'a', 258, 'b', -1}), "ids outside the vocabulary");
  }

  @Test
  void rebuildsFromItsDescription() {
    Map<String, Object> d = tok.describe();
    assertEquals("byte", d.get("name"));
    assertEquals(tok, Tokenizers.fromDescription(d));
    assertEquals(tok, Tokenizers.byName("byte"));
  }

  @Test
  void unknownOrInconsistentDescriptionsAreClearErrors() {
    DataError unknown = assertThrows(DataError.class, () -> Tokenizers.fromDescription(Map.of("name", "wordpiece")));
    assertTrue(unknown.getMessage().contains("unknown tokenizer 'wordpiece'"), unknown.getMessage());
    assertTrue(unknown.getMessage().contains("byte"), unknown.getMessage());
    DataError noMerges = assertThrows(DataError.class, () -> Tokenizers.fromDescription(Map.of("name", "bpe")));
    assertEquals("tokenizer 'bpe': invalid description (keys [name]): no merges", noMerges.getMessage());

    Map<String, Object> wrongVocab = new HashMap<>(tok.describe());
    wrongVocab.put("vocab_size", 300);
    DataError e = assertThrows(DataError.class, () -> Tokenizers.fromDescription(wrongVocab));
    assertTrue(e.getMessage().contains("vocab_size"), e.getMessage());

    assertThrows(DataError.class, () -> Tokenizers.fromDescription(Map.of()));
  }
}
