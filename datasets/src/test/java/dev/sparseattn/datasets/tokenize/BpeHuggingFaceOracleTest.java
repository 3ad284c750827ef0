package dev.sparseattn.datasets.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.sparseattn.datasets.testdata.RealData;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hugging Face tokenizers (0.21 through DJL 0.36, offline) as the oracle: a BPE trained here on the
 * bundled KJV sample, saved as tokenizer.json, loaded by Hugging Face, must encode every verse and a
 * set of adversarial strings to exactly the ids this implementation gives.
 */
class BpeHuggingFaceOracleTest {
  @TempDir static Path tmp;
  static BpeTokenizer ours;
  static HuggingFaceTokenizer theirs;
  static String text;

  @BeforeAll
  static void setUp() throws IOException {
    System.setProperty("ai.djl.offline", "true");
    text = kjvSample();
    Map<String, Long> counts = new HashMap<>();
    for (String line : text.split("\n")) {
      for (String piece : ByteLevel.split(line)) {
        counts.merge(piece, 1L, Long::sum);
      }
    }
    ours = BpeTrainer.train(counts, new BpeTrainer.Settings(2000, 2, "<|pad|>", "<|endoftext|>"));
    Path json = tmp.resolve("tokenizer.json");
    Files.writeString(json, ours.toHuggingFaceJson());
    theirs = HuggingFaceTokenizer.newInstance(json, Map.of("truncation", "false", "addSpecialTokens", "false",
        "padding", "false"));
  }

  @AfterAll
  static void tearDown() {
    if (theirs != null) {
      theirs.close();
    }
  }

  static String kjvSample() throws IOException {
    Path p = Path.of(System.getProperty("project.root.dir", ".."), "data", "sample", "kjv-sample.txt.gz");
    try (InputStream in = new GZIPInputStream(Files.newInputStream(p))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static int[] hf(String s) {
    return Arrays.stream(theirs.encode(s).getIds()).mapToInt(x -> (int) x).toArray();
  }

  /** The last 1,000 verses of the KJV (the fixture; none among the 12,000 trained on). */
  @Test
  void unseenVersesEncodeToHuggingFacesIds() throws IOException {
    assertEveryVerseEncodesToHuggingFacesIds(RealData.KJV.fixture(), 1_000);
  }

  /** Every verse of the whole KJV (31,102; trained on the first 12,000 only). */
  @Test
  @Tag("shared-data")
  void everyVerseEncodesToHuggingFacesIds() throws IOException {
    assertEveryVerseEncodesToHuggingFacesIds(RealData.KJV.shared(), 31_102);
  }

  private static void assertEveryVerseEncodesToHuggingFacesIds(Path file, int count) throws IOException {
    assertEquals(2000, ours.vocabSize());
    String kjv;
    try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
      kjv = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    String[] verses = kjv.split("\n");
    assertEquals(count, verses.length);
    for (String verse : verses) {
      assertArrayEquals(hf(verse), ours.encode(verse), verse);
    }
  }

  @Test
  void adversarialStringsEncodeToHuggingFacesIds() {
    List<String> cases = List.of("", " ", "   ", "\n", "\n\n\t \n", "a  b   c    d", "trailing spaces   ",
        "héllo wörld — ½ ∑", "中文 日本語 한국어", "emoji 😀👍🏽 family 👨‍👩‍👧 flag 🇫🇷", "ẞ ǅ ﬃ Ⅻ ٣ ⁵",
        "nbsp\u00a0here\u3000ideographic\u2028line\u0085nel", "control\u0001\u007f\u0000bytes",
        "it's I'M we'LL they've 'd 's", "numbers 12345 1,234.56 ١٢٣", "<|endoftext|>", "a<|endoftext|>b<|pad|>c",
        "<|endof", "\uFFFD replacement", "x".repeat(5000), "In the beginning God created the heaven and the earth.",
        " And God said, Let there be light: and there was light.\r\n");
    for (String s : cases) {
      assertArrayEquals(hf(s), ours.encode(s), "'" + s + "'");
      if (!s.contains("<|")) {
        assertEquals(s, ours.decode(ours.encode(s)), "round trip '" + s + "'");
      }
    }
  }

  /**
   * Single-thread encode throughput of both on the same text in the same run (printed, not asserted):
   * the whole sample in one call, and verse by verse (one call per verse; for Hugging Face each call
   * crosses JNI). Both warmed up first.
   */
  @Test
  void throughputBesideHuggingFace() {
    byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
    String[] verses = text.split("\n");
    BpeTokenizer fresh = BpeTokenizer.fromMergeStrings(ours.mergeStrings(), "<|pad|>", "<|endoftext|>");
    for (int round = 0; round < 2; round++) {
      long t0 = System.nanoTime();
      int[] a = fresh.encodeUtf8(utf8);
      long t1 = System.nanoTime();
      int[] b = hf(text);
      long t2 = System.nanoTime();
      assertArrayEquals(b, a, "the whole sample in one call");
      long ta = 0;
      long tb = 0;
      for (String verse : verses) {
        long s0 = System.nanoTime();
        fresh.encode(verse);
        long s1 = System.nanoTime();
        theirs.encode(verse);
        tb += System.nanoTime() - s1;
        ta += s1 - s0;
      }
      System.out.printf(Locale.ROOT, "BPE encode round %d, %.2f MB, vocab 2000, 1 thread: whole text sparseattn %.1f MB/s,"
          + " Hugging Face (DJL) %.1f MB/s; verse by verse sparseattn %.1f MB/s, Hugging Face %.1f MB/s%n", round,
          utf8.length / 1e6, mbps(utf8.length, t1 - t0), mbps(utf8.length, t2 - t1), mbps(utf8.length, ta),
          mbps(utf8.length, tb));
    }
  }

  private static double mbps(long bytes, long nanos) {
    return bytes / 1e3 / (nanos / 1e6);
  }
}
