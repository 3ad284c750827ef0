package dev.sparseattn.datasets.read;

import dev.sparseattn.datasets.read.DocLine;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;

/**
 * Text with a document per blank-line-separated block (paragraphs): the block's lines joined by
 * {@code '\n'} (CRs before line ends dropped); lines holding only spaces and tabs are blank. A block
 * longer than {@code maxBytes} is quarantined ({@code too-long}) instead of held in memory. Offset:
 * the byte offset of the block's first line.
 *
 * <p>Splits ({@link SplittableFormat}): a split owns the blocks whose first line starts in its byte
 * range. It starts at the first line start at or after its start offset; unless the line before it
 * is blank (found by reading backwards to the previous LF or non-blank byte), the lines up to the
 * next blank line finish a block an earlier split owns and are skipped.
 */
public final class ParagraphReader implements SplittableFormat {
  private static final long serialVersionUID = 1L;

  private final int maxBytes;

  public ParagraphReader(int maxBytes) {
    this.maxBytes = maxBytes;
  }

  @Override
  public Units open(InputStream in) {
    return new Reader(new ByteLines(in, maxBytes), Long.MAX_VALUE, false);
  }

  @Override
  public Units openSplit(RangeInput file, long start, long end) throws java.io.IOException {
    long first = Resync.nextLineStart(file, start);
    boolean inBlock = !Resync.previousLineBlank(file, first);
    return new Reader(new ByteLines(file.openAt(first), maxBytes, first), end, inBlock);
  }

  private final class Reader extends QueuedUnits {
    private final ByteLines lines;
    private final long end;
    /** Whether the first lines finish a block that started before the split. */
    private boolean inBlock;

    Reader(ByteLines lines, long end, boolean inBlock) {
      this.lines = lines;
      this.end = end;
      this.inBlock = inBlock;
    }

    @Override
    protected boolean advance() {
      while (inBlock) {
        if (!lines.next()) {
          return false;
        }
        inBlock = !blank();
      }
      ByteArrayOutputStream block = new ByteArrayOutputStream();
      long offset = -1;
      boolean tooLong = false;
      boolean more;
      while ((more = lines.next())) {
        if (blank()) {
          if (offset >= 0) {
            break;
          }
          continue;
        }
        if (offset < 0) {
          offset = lines.offset();
          if (offset >= end) {
            return false;
          }
        } else if (!tooLong) {
          block.write('\n');
        }
        tooLong |= lines.truncated() || block.size() + lines.length() > maxBytes;
        if (!tooLong) {
          block.write(lines.bytes(), 0, lines.length());
        }
      }
      if (offset >= 0) {
        byte[] bytes = block.toByteArray();
        emit(tooLong ? DocLine.quarantined(offset, nextRecordNo(), java.util.Arrays.copyOf(bytes, Math.min(96, bytes.length)),
            "too-long: a block over " + maxBytes + " bytes") : DocLine.document(offset, nextRecordNo(), bytes, 1, null));
      }
      return more;
    }

    private boolean blank() {
      for (int i = 0; i < lines.length(); i++) {
        byte b = lines.bytes()[i];
        if (b != ' ' && b != '\t') {
          return false;
        }
      }
      return true;
    }

    @Override
    public long position() {
      return lines.consumed();
    }
  }
}
