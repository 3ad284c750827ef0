package dev.sparseattn.datasets.shard;

import java.util.Arrays;
import java.util.function.IntConsumer;
import org.apache.parquet.column.Dictionary;
import org.apache.parquet.io.api.Converter;
import org.apache.parquet.io.api.GroupConverter;
import org.apache.parquet.io.api.PrimitiveConverter;
import org.apache.parquet.io.api.RecordMaterializer;

/**
 * Assembles {@link ShardRow}s from Parquet's column events into a reused int buffer (dictionary pages
 * decoded once per page), for the projection {@link ShardSchema#project} returns.
 */
final class ShardRecordConverter extends RecordMaterializer<ShardRow> {
  private long seqId;
  private int nTokens;
  private int[] buffer = new int[1024];
  private int size;
  private int[] segmentBuffer = new int[1024];
  private int segmentSize;
  private boolean hasSegments;

  private final PrimitiveConverter seqIdConverter = new PrimitiveConverter() {
    @Override
    public void addLong(long value) {
      seqId = value;
    }
  };

  private final PrimitiveConverter nTokensConverter = new PrimitiveConverter() {
    @Override
    public void addInt(int value) {
      nTokens = value;
    }
  };

  private final PrimitiveConverter element = new IntElements(this::append);

  /** The repeated group {@code list}: one element each. */
  private final GroupConverter listEntry = new LeafGroup(element);
  /** The LIST group {@code tokens}. */
  private final GroupConverter tokensConverter = new LeafGroup(listEntry);

  private final PrimitiveConverter segmentElement = new IntElements(this::appendSegment);
  /** The LIST group {@code segment_ids}; a row that has one (even empty) starts it. */
  private final GroupConverter segmentsConverter = new GroupConverter() {
    private final GroupConverter entry = new LeafGroup(segmentElement);

    @Override
    public Converter getConverter(int fieldIndex) {
      return entry;
    }

    @Override
    public void start() {
      hasSegments = true;
    }

    @Override
    public void end() {}
  };

  private final GroupConverter root = new GroupConverter() {
    @Override
    public Converter getConverter(int fieldIndex) {
      return switch (fieldIndex) {
        case 0 -> seqIdConverter;
        case 1 -> tokensConverter;
        case 2 -> nTokensConverter;
        case 3 -> segmentsConverter;
        default -> throw new IllegalArgumentException("no shard field " + fieldIndex);
      };
    }

    @Override
    public void start() {
      seqId = -1;
      nTokens = -1;
      size = 0;
      segmentSize = 0;
      hasSegments = false;
    }

    @Override
    public void end() {}
  };

  private void append(int value) {
    if (size == buffer.length) {
      buffer = Arrays.copyOf(buffer, buffer.length * 2);
    }
    buffer[size++] = value;
  }

  private void appendSegment(int value) {
    if (segmentSize == segmentBuffer.length) {
      segmentBuffer = Arrays.copyOf(segmentBuffer, segmentBuffer.length * 2);
    }
    segmentBuffer[segmentSize++] = value;
  }

  @Override
  public ShardRow getCurrentRecord() {
    return new ShardRow(seqId, Arrays.copyOf(buffer, size), nTokens,
        hasSegments ? Arrays.copyOf(segmentBuffer, segmentSize) : null);
  }

  @Override
  public GroupConverter getRootConverter() {
    return root;
  }

  /** A group with a single child and nothing to do at its start or end. */
  private static final class LeafGroup extends GroupConverter {
    private final Converter child;

    LeafGroup(Converter child) {
      this.child = child;
    }

    @Override
    public Converter getConverter(int fieldIndex) {
      return child;
    }

    @Override
    public void start() {}

    @Override
    public void end() {}
  }

  /** The int32 elements of a LIST column, dictionary-encoded or plain, handed to {@code sink} one by one. */
  private static final class IntElements extends PrimitiveConverter {
    private final IntConsumer sink;
    private int[] dictionary;

    IntElements(IntConsumer sink) {
      this.sink = sink;
    }

    @Override
    public boolean hasDictionarySupport() {
      return true;
    }

    @Override
    public void setDictionary(Dictionary d) {
      dictionary = new int[d.getMaxId() + 1];
      Arrays.setAll(dictionary, d::decodeToInt);
    }

    @Override
    public void addValueFromDictionary(int dictionaryId) {
      sink.accept(dictionary[dictionaryId]);
    }

    @Override
    public void addInt(int value) {
      sink.accept(value);
    }
  }
}
