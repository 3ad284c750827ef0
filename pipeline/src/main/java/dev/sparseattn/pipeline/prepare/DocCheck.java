package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.read.DocLine;
import dev.sparseattn.datasets.tokenize.Tokenizer;
import java.io.Serializable;

/**
 * Admission of every unit read, in one place for all formats: text checks ({@link TextCheck}, text
 * formats only), then empty documents (an empty line, a JSON line with empty text, a record left
 * empty by stripping) set aside with reason {@value #EMPTY} instead of becoming EOS-only documents,
 * then the tokenizer's own refusal ({@link Tokenizer#reject}); in strict mode the first bad unit
 * (an empty one is not bad) fails the job with a {@link BadRecordException} naming the source,
 * record and reason. Empty documents are counted in the manifest's {@code by_reason} like the
 * quarantined ones, and listed in the quarantine table, so that the record accounting adds up.
 */
final class DocCheck implements Serializable {
  private static final long serialVersionUID = 1L;
  /** The reason code of an empty document. */
  static final String EMPTY = "empty";

  private final TextCheck text;
  private final Tokenizer tokenizer;
  private final boolean strict;

  /** {@code text} may be null (non-text formats). */
  DocCheck(TextCheck text, Tokenizer tokenizer, boolean strict) {
    this.text = text;
    this.tokenizer = tokenizer;
    this.strict = strict;
  }

  DocLine admit(String source, DocLine d) {
    DocLine out = text == null ? d : text.check(d);
    if (!out.bad() && out.bytes().length == 0) {
      return out.quarantine(EMPTY + ": no content" + (d.bytes().length > 0 ? " left after stripping control characters" : ""));
    }
    if (!out.bad()) {
      String why = tokenizer.reject(out.bytes(), 0, out.bytes().length);
      if (why != null) {
        out = out.quarantine(why);
      }
    }
    if (strict && out.bad()) {
      throw new BadRecordException(source, out);
    }
    return out;
  }
}
