package dev.sparseattn.trainer.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sparseattn.datasets.config.DataError;
import dev.sparseattn.datasets.tokenize.AmbiguityRule;
import dev.sparseattn.datasets.tokenize.BpeTokenizer;
import dev.sparseattn.datasets.tokenize.ByteTokenizer;
import dev.sparseattn.datasets.tokenize.NucleotideTokenizer;
import dev.sparseattn.datasets.tokenize.Tokenizer;
import dev.sparseattn.datasets.tokenize.Tokenizers;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class RowUnitsTest {

  private static int[] row(Tokenizer t, String... docs) {
    java.util.List<Integer> ids = new java.util.ArrayList<>();
    for (String d : docs) {
      for (int id : t.encode(d)) {
        ids.add(id);
      }
      ids.add(t.eosId());
    }
    ids.add(t.padId());
    ids.add(t.padId());
    return ids.stream().mapToInt(Integer::intValue).toArray();
  }

  private static int nonPad(int[] row, int pad) {
    int n = 0;
    while (n < row.length && row[n] != pad) {
      n++;
    }
    return n;
  }

  @Test
  void bytesAreTheTokensWithEosAsNewlineAndPadDropped() {
    ByteTokenizer t = new ByteTokenizer();
    int[] r = row(t, "In the", "beginning é");
    RowUnits.Decoded d = RowUnits.of(t).decode(r, nonPad(r, t.padId()));
    assertArrayEquals("In the\nbeginning é\n".getBytes(StandardCharsets.UTF_8), d.units());
    assertEquals(1, d.context());
    assertEquals(256, RowUnits.of(t).alphabet().size());
  }

  @Test
  void bpeTokensBecomeTheirBytes() {
    BpeTokenizer t = BpeTokenizer.fromMergeStrings(List.of("t h", "th e", "Ġ th"), "<|pad|>", "<|endoftext|>");
    int[] r = row(t, "the other", "then");
    RowUnits.Decoded d = RowUnits.of(t).decode(r, nonPad(r, t.padId()));
    assertArrayEquals("the other\nthen\n".getBytes(StandardCharsets.UTF_8), d.units());
    assertEquals(3, d.context()); // the first token is "the"
  }

  @Test
  void basesPerTokenFollowTheKmerMode() {
    String dna = "ACGTTGCAAC"; // 10 bases
    for (boolean overlapping : new boolean[] {false, true}) {
      NucleotideTokenizer t = new NucleotideTokenizer(new NucleotideTokenizer.Options(3, overlapping, AmbiguityRule.TOKEN, true));
      int[] r = row(t, dna);
      RowUnits.Decoded d = RowUnits.of(t).decode(r, nonPad(r, t.padId()));
      assertArrayEquals((dna + "\n").getBytes(StandardCharsets.US_ASCII), d.units(), "overlapping " + overlapping);
      // the first token is a 3-mer either way; the targets hold the other 7 bases and the separator
      assertEquals(3, d.context());
      assertEquals(overlapping ? 9 : 5, nonPad(r, t.padId()), "tokens");
    }
    Tokenizer single = Tokenizers.byName("nucleotide");
    RowUnits units = RowUnits.of(single);
    assertEquals("ACGTNRYSWKMBDHV\n", new String(units.alphabet().symbols(), StandardCharsets.US_ASCII));
    int[] r = row(single, "ACGN");
    assertArrayEquals(new byte[] {0, 1, 2, 4, 15}, units.alphabet().codes(units.decode(r, 5).units()));
  }

  @Test
  void timeSeriesHaveNoNativeUnits() {
    assertThrows(DataError.class, () -> RowUnits.of(Tokenizers.byName("time-series")));
  }
}
