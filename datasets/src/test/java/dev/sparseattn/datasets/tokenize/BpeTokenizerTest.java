package dev.sparseattn.datasets.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BpeTokenizerTest {
  static final BpeTrainer.Settings SMALL = new BpeTrainer.Settings(265, 2, "<|pad|>", "<|endoftext|>");

  /** Sennrich et al. (2016)'s example: low x5, lower x2, newest x6, widest x3. */
  @Test
  void learnsTheMostFrequentPairsFirst() {
    BpeTokenizer t = BpeTrainer.train(Map.of("low", 5L, "lower", 2L, "newest", 6L, "widest", 3L), SMALL);
    assertEquals(List.of("e s", "es t", "l o", "lo w", "e w", "n ew", "new est"), t.mergeStrings());
    assertEquals(265, t.vocabSize());
    assertEquals(263, t.padId());
    assertEquals(264, t.eosId());
    assertArrayEquals(new int[] {262}, t.encode("newest"));
    assertArrayEquals(new int[] {259, 'e', 'r'}, t.encode("lower"));
    assertArrayEquals(new int[] {259, ' ', 'w', 'i', 'd', 257}, t.encode("low widest"), "' widest' is one pre-token");
  }

  @Test
  void specialTokensEncodeAsTheirIdsAndDecodeRoundTrips() {
    BpeTokenizer t = BpeTrainer.train(Map.of("low", 5L, "lower", 2L, "newest", 6L, "widest", 3L), SMALL);
    int[] ids = t.encode("low<|endoftext|>newest<|pad|>");
    assertArrayEquals(new int[] {259, 264, 262, 263}, ids);
    assertEquals("low\nnewest", t.decode(ids), "EOS decodes as a newline, PAD is skipped");
    for (String s : List.of("", "  spaces   and\ttabs\n\n", "héllo wörld 中文 😀👍🏽 🇫🇷", "it's we'll 123 4.5e6")) {
      assertEquals(s, t.decode(t.encode(s)));
    }
  }

  @Test
  void huggingFaceJsonAndManifestDescriptionRoundTrip() {
    BpeTokenizer t = BpeTrainer.train(Map.of("low", 5L, "lower", 2L, "newest", 6L, "widest", 3L), SMALL);
    String json = t.toHuggingFaceJson();
    assertTrue(json.contains("\"type\" : \"BPE\"") && json.contains("\"merges\" : [ \"e s\", \"es t\""), json);
    assertTrue(json.contains("\"Ġ\" : 32") && json.contains("\"Ċ\" : 10"), "GPT-2's byte alphabet");
    assertEquals(t, BpeTokenizer.fromHuggingFaceJson(json));
    assertEquals(t, Tokenizers.fromDescription(t.describe()));
  }

  @Test
  void preTokenizationFollowsGpt2() {
    assertEquals(List.of("Hello", ",", " world", "'s", " 123", "  ", " x", "\n\n"),
        ByteLevel.split("Hello, world's 123   x\n\n"));
    assertEquals("ĠhiĊ", ByteLevel.toChars(" hi\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }
}
