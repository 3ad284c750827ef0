package dev.sparseattn.datasets.shard;

import dev.sparseattn.datasets.config.DataError;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;

/**
 * The one Parquet schema of every shard of a prepared dataset. Each row is one training sequence:
 *
 * <pre>
 * message sparseattn_shard {
 *   required int64 seq_id;               -- index of the sequence within its split (0, 1, 2, ...)
 *   required group tokens (LIST) {       -- standard 3-level LIST: Spark reads it as array&lt;int&gt;
 *     repeated group list {
 *       required int32 element;          -- token ids, exactly seq_len + 1 of them
 *     }
 *   }
 *   required int32 n_tokens;             -- number of non-PAD ids in tokens
 *   optional group segment_ids (LIST) {  -- since version 2; null when the writer had none
 *     repeated group list {
 *       required int32 element;          -- per position: document index within the row, -1 on PAD
 *     }
 *   }
 * }
 * </pre>
 *
 * <p>A model's inputs are {@code tokens[0 .. L-1]} and its targets {@code tokens[1 .. L]} with
 * {@code L = seq_len}. The sequences of a packing chunk overlap by one token (stride L), and the last
 * sequence of a chunk is padded with PAD after its {@code n_tokens} real ids; PAD targets are to be
 * ignored by the loss. Segment ids (see {@link ShardRow}) keep attention within documents. Spark sees
 * the columns as {@code seq_id bigint, tokens array<int>, n_tokens int, segment_ids array<int>}.
 * Version 1 files (no segment_ids) still read.
 */
public final class ShardSchema {
  private ShardSchema() {}

  /** Version of this layout, also written to each file's key-value metadata. */
  public static final int VERSION = 2;
  /** Key of {@link #VERSION} in a shard's Parquet key-value metadata. */
  public static final String VERSION_KEY = "sparseattn.shard.version";

  public static final String SEQ_ID = "seq_id";
  public static final String TOKENS = "tokens";
  public static final String N_TOKENS = "n_tokens";
  public static final String SEGMENT_IDS = "segment_ids";
  /** The repeated group and element names of the standard 3-level LIST. */
  public static final String LIST = "list";
  public static final String ELEMENT = "element";

  /** The schema as text (Parquet's schema language). */
  public static final String TEXT = """
      message sparseattn_shard {
        required int64 seq_id;
        required group tokens (LIST) {
          repeated group list {
            required int32 element;
          }
        }
        required int32 n_tokens;
        optional group segment_ids (LIST) {
          repeated group list {
            required int32 element;
          }
        }
      }
      """;

  /** The schema shards are written with. */
  public static final MessageType SCHEMA = MessageTypeParser.parseMessageType(TEXT);

  /**
   * The projection of a file's schema onto the shard columns (three, or four with segment_ids), in the
   * order of {@link #SCHEMA}.
   * Repetition (required/optional) is taken from the file, so shards rewritten by other tools
   * (e.g. Spark, which writes optional columns) still read. Fails with a {@link DataError} naming the
   * file when a column is missing or has the wrong type.
   */
  public static MessageType project(MessageType fileSchema, String file) {
    Type seqId = field(fileSchema, SEQ_ID, file);
    Type tokens = field(fileSchema, TOKENS, file);
    Type nTokens = field(fileSchema, N_TOKENS, file);
    boolean ok = isPrimitive(seqId, PrimitiveTypeName.INT64)
        && isPrimitive(nTokens, PrimitiveTypeName.INT32)
        && !tokens.isPrimitive() && tokens.asGroupType().getFieldCount() == 1;
    if (ok) {
      Type list = tokens.asGroupType().getType(0);
      ok = !list.isPrimitive() && list.isRepetition(Type.Repetition.REPEATED)
          && list.asGroupType().getFieldCount() == 1
          && isPrimitive(list.asGroupType().getType(0), PrimitiveTypeName.INT32);
    }
    if (!ok) {
      throw new DataError(file + " is not a sparseattn shard: expected columns " + SEQ_ID + " int64, "
          + TOKENS + " list<int32>, " + N_TOKENS + " int32, found " + fileSchema.toString().replaceAll("\\s+", " "));
    }
    if (!fileSchema.containsField(SEGMENT_IDS)) {
      return new MessageType(fileSchema.getName(), seqId, tokens, nTokens);
    }
    Type segments = fileSchema.getType(SEGMENT_IDS);
    if (!isIntList(segments)) {
      throw new DataError(file + " is not a sparseattn shard: " + SEGMENT_IDS + " is not list<int32>");
    }
    return new MessageType(fileSchema.getName(), seqId, tokens, nTokens, segments);
  }

  private static boolean isIntList(Type t) {
    if (t.isPrimitive() || t.asGroupType().getFieldCount() != 1) {
      return false;
    }
    Type list = t.asGroupType().getType(0);
    return !list.isPrimitive() && list.isRepetition(Type.Repetition.REPEATED)
        && list.asGroupType().getFieldCount() == 1
        && isPrimitive(list.asGroupType().getType(0), PrimitiveTypeName.INT32);
  }

  private static Type field(MessageType schema, String name, String file) {
    if (!schema.containsField(name)) {
      throw new DataError(file + " is not a sparseattn shard: no column '" + name + "'");
    }
    return schema.getType(name);
  }

  private static boolean isPrimitive(Type t, PrimitiveTypeName name) {
    return t.isPrimitive() && !t.isRepetition(Type.Repetition.REPEATED)
        && t.asPrimitiveType().getPrimitiveTypeName() == name;
  }
}
