package dev.sparseattn.datasets.fs;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.hadoop.conf.Configuration;

/**
 * A Hadoop configuration as bytes ({@link Configuration#write}: all properties, defaults included), so the driver's
 * file-system settings (HDFS addresses, credentials providers) travel to executors inside a serialisable job spec.
 */
public final class HadoopConfBytes {
  private HadoopConfBytes() {}

  public static byte[] encode(Configuration conf) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      conf.write(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** The configuration {@link #encode} wrote, rebuilt without loading any default resources. */
  public static Configuration decode(byte[] encoded) {
    Configuration conf = new Configuration(false);
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(encoded))) {
      conf.readFields(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return conf;
  }
}
