package dev.sparseattn.datasets.tokenize;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** With {@code ambiguous = split} the bases cut out are counted: encoded bases + dropped = all bases. */
class NucleotideDroppedBasesTest {
  private static NucleotideTokenizer tokenizer(AmbiguityRule rule) {
    return new NucleotideTokenizer(new NucleotideTokenizer.Options(1, false, rule, true));
  }

  @Test
  void splitCountsTheAmbiguousBasesItDrops() {
    byte[] seq = "ACGTNNNACGNRYACGTn".getBytes(StandardCharsets.US_ASCII);
    NucleotideTokenizer split = tokenizer(AmbiguityRule.SPLIT);
    int[] ids = split.encodeUtf8(seq);
    long eos = java.util.Arrays.stream(ids).filter(i -> i == split.eosId()).count();
    assertEquals(7, split.droppedBases(seq, 0, seq.length), "NNN, N, R, Y and the lower-case n");
    assertEquals(seq.length, ids.length - eos + split.droppedBases(seq, 0, seq.length));
    assertEquals(2, split.droppedBases(seq, 4, 2), "a range");
    assertEquals(0, tokenizer(AmbiguityRule.TOKEN).droppedBases(seq, 0, seq.length));
  }
}
