package dev.sparseattn.datasets.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sparseattn.datasets.testdata.RealData;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

class NucleotideTokenizerTest {
  private static NucleotideTokenizer tok(int k, boolean overlapping, AmbiguityRule rule, boolean fold) {
    return new NucleotideTokenizer(new NucleotideTokenizer.Options(k, overlapping, rule, fold));
  }

  @Test
  void singleBasesWithIupacTokens() {
    NucleotideTokenizer t = tok(1, false, AmbiguityRule.TOKEN, true);
    assertEquals(17, t.vocabSize(), "ACGT + 11 IUPAC codes + PAD + EOS");
    assertEquals(15, t.padId());
    assertEquals(16, t.eosId());
    assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 14, 0, 3}, t.encode("ACGTNRVaU"));
    assertEquals("ACGTNRVAT", t.decode(t.encode("ACGTNRVaU")));
    assertEquals("AC\nG", t.decode(new int[] {0, 1, 16, 2, 15, 15}));
  }

  @Test
  void softMaskedCaseKeptWhenNotFolded() {
    NucleotideTokenizer t = tok(1, false, AmbiguityRule.TOKEN, false);
    assertEquals(32, t.vocabSize(), "2 x (4 + 11) + 2");
    assertArrayEquals(new int[] {15, 16, 17, 3, 19}, t.encode("acgTn"));
    assertEquals("acgTn", t.decode(t.encode("acgTn")));
  }

  @Test
  void nonOverlappingKmersWithSingleBaseTail() {
    NucleotideTokenizer t = tok(3, false, AmbiguityRule.TOKEN, true);
    assertEquals(64 + 1 + 5 + 2, t.vocabSize());
    // ACG = 0*16 + 1*4 + 2 = 6; TAC = 3*16 + 0 + 1 = 49; ANG is ambiguous (64); tail G = 65 + 2.
    assertArrayEquals(new int[] {6, 49, 64, 67}, t.encode("ACGTACANGG"));
    assertEquals("ACGTACNNNG", t.decode(t.encode("ACGTACANGG")));
  }

  @Test
  void overlappingKmersDecodeBackToTheBases() {
    NucleotideTokenizer t = tok(3, true, AmbiguityRule.TOKEN, true);
    assertArrayEquals(new int[] {6, 27, 44}, t.encode("ACGTA"), "ACG, CGT, GTA");
    assertEquals("ACGTA", t.decode(t.encode("ACGTA")));
    assertArrayEquals(new int[] {65, 66}, t.encode("AC"), "shorter than k: single bases");
    assertEquals("AC", t.decode(t.encode("AC")));
  }

  @Test
  void splitRuleCutsAtAmbiguousRunsRejectRuleRefuses() {
    NucleotideTokenizer split = tok(1, false, AmbiguityRule.SPLIT, true);
    assertEquals(6, split.vocabSize());
    assertArrayEquals(new int[] {0, 1, 5, 2, 3}, split.encode("NACNNGTN"));
    assertEquals("AC\nGT", split.decode(split.encode("NACNNGTN")));

    NucleotideTokenizer reject = tok(1, false, AmbiguityRule.REJECT, true);
    byte[] n = "ACNG".getBytes(StandardCharsets.US_ASCII);
    assertEquals("ambiguous-base: 'N' at 2", reject.reject(n, 0, n.length));
    assertThrows(IllegalArgumentException.class, () -> reject.encode("ACNG"));
    byte[] x = "ACXG".getBytes(StandardCharsets.US_ASCII);
    assertEquals("unexpected-letter: 'X' at 2", tok(1, false, AmbiguityRule.TOKEN, true).reject(x, 0, 4));
    assertEquals("unexpected-letter: 0x00 at 0", split.reject(new byte[] {0, 'A'}, 0, 2));
    assertNull(split.reject(n, 0, n.length));
  }

  @Test
  void reverseComplement() {
    byte[] s = "AACGTNRacgt".getBytes(StandardCharsets.US_ASCII);
    assertEquals("acgtYNACGTT", new String(NucleotideTokenizer.reverseComplement(s, 0, s.length), StandardCharsets.US_ASCII));
  }

  @Test
  void describesItselfForTheManifest() {
    NucleotideTokenizer t = tok(6, true, AmbiguityRule.SPLIT, true);
    assertEquals(t, Tokenizers.fromDescription(t.describe()));
    assertEquals(4096 + 5 + 2, Tokenizers.fromDescription(t.describe()).vocabSize());
    assertEquals(tok(1, false, AmbiguityRule.TOKEN, true), Tokenizers.byName("nucleotide"));
  }

  /** The first 100 kbp of the real E. coli genome (the fixture) round-trip through every k-mer layout. */
  @Test
  void ecoliRoundTrips() throws IOException {
    byte[] bases;
    try (InputStream in = new GZIPInputStream(Files.newInputStream(RealData.ECOLI.fixture()))) {
      String text = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
      bases = text.substring(text.indexOf('\n') + 1).replace("\n", "").getBytes(StandardCharsets.US_ASCII);
    }
    int n = bases.length;
    assertEquals(100_030, n);
    String expected = new String(bases, StandardCharsets.US_ASCII);
    for (int k : new int[] {1, 3, 6}) {
      for (boolean overlapping : new boolean[] {false, true}) {
        NucleotideTokenizer t = tok(k, overlapping, AmbiguityRule.TOKEN, true);
        int[] ids = t.encodeUtf8(bases);
        int count = k == 1 ? n : overlapping ? n - k + 1 : n / k + n % k;
        assertEquals(count, ids.length, "k=" + k + " overlapping=" + overlapping);
        assertEquals(expected, t.decode(ids), "k=" + k + " overlapping=" + overlapping);
      }
    }
  }
}
