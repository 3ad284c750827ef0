package dev.sparseattn.pipeline.prepare;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Token ids through the sequence shuffle's byte form: the narrowest width that holds the vocabulary, exact round trips. */
class TokenBytesTest {
  @Test
  void widthIsTheNarrowestThatHoldsEveryId() {
    assertEquals(1, TokenBytes.width(8));
    assertEquals(1, TokenBytes.width(256));
    assertEquals(2, TokenBytes.width(257));
    assertEquals(2, TokenBytes.width(65_536));
    assertEquals(4, TokenBytes.width(65_537));
  }

  @Test
  void idsRoundTripAtEveryWidthIncludingTheLargestId() {
    Random r = new Random(3);
    for (int vocab : new int[] {10, 256, 259, 32_002, 65_536, 100_000, Integer.MAX_VALUE}) {
      int width = TokenBytes.width(vocab);
      int[] ids = new int[1025];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = r.nextInt(vocab);
      }
      ids[0] = vocab - 1;
      ids[1] = 0;
      byte[] b = TokenBytes.encode(ids, width);
      assertEquals(ids.length * width, b.length);
      assertArrayEquals(ids, TokenBytes.decode(b, width), "vocabulary " + vocab);
    }
  }

  @Test
  void anIdTooWideForTheWidthIsRefused() {
    assertThrows(IllegalStateException.class, () -> TokenBytes.encode(new int[] {256}, 1));
    assertThrows(IllegalStateException.class, () -> TokenBytes.encode(new int[] {-1}, 2));
  }
}
