package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.read.DocLine;
import dev.sparseattn.pipeline.ControlChars;
import dev.sparseattn.pipeline.InvalidUtf8;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The checks of a text record before it becomes a document. Binary content (a NUL byte, or more than
 * {@value #MAX_INVALID_SHARE} of the bytes in malformed UTF-8 sequences, or, with
 * {@link ControlChars#QUARANTINE}, more than {@value #MAX_CONTROL_SHARE} of C0 control bytes other
 * than tab, CR, FF, VT and ESC) is always quarantined; control characters otherwise follow the
 * {@link ControlChars} policy (stripped or kept), and other invalid UTF-8 the {@link InvalidUtf8} one.
 */
final class TextCheck implements Serializable {
  private static final long serialVersionUID = 1L;
  static final double MAX_CONTROL_SHARE = 0.05;
  static final double MAX_INVALID_SHARE = 0.10;

  private final InvalidUtf8 policy;
  private final ControlChars controlChars;

  TextCheck(InvalidUtf8 policy, ControlChars controlChars) {
    this.policy = policy;
    this.controlChars = controlChars;
  }

  /** The unit as it goes on: unchanged, repaired, or quarantined with a reason. */
  DocLine check(DocLine d) {
    if (d.bad()) {
      return d;
    }
    byte[] b = d.bytes();
    int controls = 0;
    for (int i = 0; i < b.length; i++) {
      int c = b[i] & 0xff;
      if (c == 0) {
        return d.quarantine("binary: NUL byte at " + i);
      }
      if (control(c)) {
        controls++;
      }
    }
    if (controlChars == ControlChars.QUARANTINE && controls > MAX_CONTROL_SHARE * b.length) {
      return d.quarantine("binary: " + controls + " control bytes of " + b.length
          + " (prepare.control-chars = strip or keep takes them as text)");
    }
    if (controlChars == ControlChars.STRIP && controls > 0) {
      return check(d.repairedAs(strip(b, controls))); // then the UTF-8 checks on what is left
    }
    int firstBad = firstMalformed(b);
    if (firstBad < 0) {
      return d;
    }
    int invalid = malformedBytes(b);
    if (invalid > MAX_INVALID_SHARE * b.length) {
      return d.quarantine("binary: " + invalid + " of " + b.length + " bytes are not UTF-8");
    }
    return switch (policy) {
      case QUARANTINE -> d.quarantine("invalid-utf8: malformed sequence at byte " + firstBad);
      case REPLACE -> d.repairedAs(replace(b));
      case KEEP -> d;
    };
  }

  /** Whether a byte is a control character of the policy: C0 but tab, LF, CR, FF, VT, ESC (and NUL, binary), or DEL. */
  private static boolean control(int c) {
    return (c < 0x20 && c != 0 && c != '\t' && c != '\r' && c != '\f' && c != 0x0b && c != 0x1b && c != '\n')
        || c == 0x7f;
  }

  /** The bytes without their {@code n} control characters. */
  private static byte[] strip(byte[] b, int n) {
    byte[] out = new byte[b.length - n];
    int j = 0;
    for (byte x : b) {
      if (!control(x & 0xff)) {
        out[j++] = x;
      }
    }
    return out;
  }

  /** Index of the first byte of the first malformed UTF-8 sequence, or -1. */
  static int firstMalformed(byte[] b) {
    CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(b);
    CharBuffer out = CharBuffer.allocate(Math.max(16, b.length));
    var result = dec.decode(in, out, true);
    return result.isError() ? in.position() : -1;
  }

  /** Bytes in malformed sequences (each malformed input counted at its length). */
  private static int malformedBytes(byte[] b) {
    CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(b);
    CharBuffer out = CharBuffer.allocate(Math.max(16, b.length));
    int bad = 0;
    while (in.hasRemaining()) {
      var r = dec.decode(in, out, true);
      if (r.isError()) {
        bad += r.length();
        in.position(in.position() + r.length());
      } else {
        break;
      }
    }
    return bad;
  }

  /** The bytes with each malformed sequence replaced by the UTF-8 of U+FFFD. */
  static byte[] replace(byte[] b) {
    try {
      CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE)
          .replaceWith("\uFFFD").decode(ByteBuffer.wrap(b));
      ByteBuffer bytes = StandardCharsets.UTF_8.newEncoder().encode(chars);
      byte[] out = new byte[bytes.remaining()];
      bytes.get(out);
      return out;
    } catch (CharacterCodingException e) {
      throw new IllegalStateException("replacement decoding cannot fail", e);
    }
  }
}
