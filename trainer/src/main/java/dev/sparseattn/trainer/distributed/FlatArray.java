package dev.sparseattn.trainer.distributed;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.concurrency.AffinityManager;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An array's raw values as one {@code byte[]} (the writer's byte order, recorded) with its data type and
 * shape. Encoding is one bulk copy out of the array's host buffer and decoding one bulk copy into a
 * target array's buffer; Java serialisation writes a {@code byte[]} field in bulk, so a payload crosses
 * Spark with no per-element work. The host buffer is reached through ND4J's affinity manager
 * ({@code ensureLocation} before reading, {@code tagLocation} after writing), which is what makes the
 * host copy current on CUDA and is a no-op on the CPU backend.
 *
 * <p>History: {@code Nd4j.toByteArray} (element by element through a {@code DataOutputStream}) cost 15 s
 * per round for a 10M-parameter model; {@code float[]} fields (Java serialisation converts floats one by
 * one) cost a few seconds; raw bytes cost the memory copies.
 */
final class FlatArray implements Serializable {
  private static final long serialVersionUID = 2L;

  private final DataType dataType;
  private final long[] shape;
  private final boolean littleEndian;
  private final byte[] bytes;

  private FlatArray(DataType dataType, long[] shape, boolean littleEndian, byte[] bytes) {
    this.dataType = dataType;
    this.shape = shape;
    this.littleEndian = littleEndian;
    this.bytes = bytes;
  }

  /** Copies the array's values (in 'c' order). */
  static FlatArray of(INDArray a) {
    INDArray whole = whole(a);
    long n = whole.length() * whole.dataType().width();
    if (n > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException("array of " + n + " bytes is too large for one payload (2 GB)");
    }
    Nd4j.getAffinityManager().ensureLocation(whole, AffinityManager.Location.HOST);
    ByteBuffer host = whole.data().asNio().duplicate();
    host.clear().limit((int) n);
    byte[] bytes = new byte[(int) n];
    host.get(bytes);
    return new FlatArray(whole.dataType(), a.shape(), ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN, bytes);
  }

  /** A new array holding the values. */
  INDArray toArray() {
    INDArray a = Nd4j.createUninitialized(dataType, shape, 'c');
    copyInto(a);
    return a;
  }

  /** Writes the values into {@code target} (same data type and length; any shape), in 'c' order. */
  void copyInto(INDArray target) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    if (target.dataType() != dataType || target.length() != n) {
      throw new IllegalArgumentException("cannot copy " + dataType + Arrays.toString(shape) + " into "
          + target.dataType() + Arrays.toString(target.shape()));
    }
    if (!isWhole(target)) {
      target.assign(toArray().reshape(target.shape()));
      return;
    }
    Nd4j.getAffinityManager().ensureLocation(target, AffinityManager.Location.HOST);
    ByteBuffer host = target.data().asNio().duplicate().order(ByteOrder.nativeOrder());
    host.clear().limit(bytes.length);
    boolean nativeLe = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
    if (littleEndian == nativeLe || dataType.width() == 1) {
      host.put(bytes);
    } else {
      swapInto(host);
    }
    Nd4j.getAffinityManager().tagLocation(target, AffinityManager.Location.HOST);
  }

  private void swapInto(ByteBuffer host) {
    ByteBuffer src = ByteBuffer.wrap(bytes).order(littleEndian ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
    switch (dataType.width()) {
      case 8 -> host.asLongBuffer().put(src.asLongBuffer());
      case 4 -> host.asIntBuffer().put(src.asIntBuffer());
      case 2 -> host.asShortBuffer().put(src.asShortBuffer());
      default -> throw new IllegalStateException("unsupported element width " + dataType.width());
    }
  }

  /** Payload size in bytes. */
  long bytes() {
    return bytes.length;
  }

  /** The array itself when it owns its whole buffer in 'c' order, else a 'c'-ordered copy. */
  private static INDArray whole(INDArray a) {
    return isWhole(a) ? a : a.dup('c');
  }

  private static boolean isWhole(INDArray a) {
    return !a.isView() && a.offset() == 0 && a.data().length() == a.length()
        && (a.ordering() == 'c' || a.isVectorOrScalar());
  }
}
