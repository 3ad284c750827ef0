package dev.sparseattn.datasets.tokenize;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GPT-2's byte-level conventions (Radford et al. 2019), as Hugging Face tokenizers' {@code ByteLevel}
 * pre-tokenizer and decoder implement them: text is split by GPT-2's regular expression, and every
 * byte is shown as one printable character ({@code ' '} is {@code 'Ġ'}, {@code '\n'} is {@code 'Ċ'}),
 * so that byte sequences can be vocabulary strings.
 */
public final class ByteLevel {
  private ByteLevel() {}

  /** GPT-2's pre-tokenization pattern (Unicode classes: {@code \s} is White_Space, as in Oniguruma). */
  static final Pattern SPLIT = Pattern.compile(
      "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
      Pattern.UNICODE_CHARACTER_CLASS);

  private static final char[] BYTE_TO_CHAR = new char[256];
  private static final int[] CHAR_TO_BYTE = new int[512];

  static {
    java.util.Arrays.fill(CHAR_TO_BYTE, -1);
    int n = 0;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      BYTE_TO_CHAR[b] = printable ? (char) b : (char) (256 + n++);
      CHAR_TO_BYTE[BYTE_TO_CHAR[b]] = b;
    }
  }

  /** The pre-tokens of a text, in order; they concatenate to the text. */
  public static List<String> split(String text) {
    List<String> pieces = new ArrayList<>();
    Matcher m = SPLIT.matcher(text);
    while (m.find()) {
      pieces.add(m.group());
    }
    return pieces;
  }

  /** The character that stands for a byte. */
  public static char charOf(int b) {
    return BYTE_TO_CHAR[b & 0xff];
  }

  /** The byte-level string of some bytes. */
  public static String toChars(byte[] bytes) {
    char[] cs = new char[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      cs[i] = BYTE_TO_CHAR[bytes[i] & 0xff];
    }
    return new String(cs);
  }

  /** The bytes of a byte-level string; characters outside the alphabet are an IllegalArgumentException. */
  public static byte[] toBytes(String chars) {
    byte[] out = new byte[chars.length()];
    for (int i = 0; i < out.length; i++) {
      char c = chars.charAt(i);
      int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
      if (b < 0) {
        throw new IllegalArgumentException("not a byte-level character: U+" + Integer.toHexString(c));
      }
      out[i] = (byte) b;
    }
    return out;
  }
}
