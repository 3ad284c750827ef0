package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.config.DataError;
import dev.sparseattn.datasets.manifest.Manifest;
import dev.sparseattn.datasets.manifest.RecordAccounting;
import dev.sparseattn.datasets.manifest.Split;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The output directory of a preparation: checked before any work, replaced only when it looks like a
 * dataset (so that a mistyped {@code output} with {@code overwrite = true} cannot delete unrelated data).
 */
public final class OutputDir {
  private OutputDir() {}

  /** The resolved configuration written next to the outputs. */
  public static final String CONF_FILE = "prepare.conf";

  /** What a dataset directory may contain (besides hidden files). */
  private static final Set<String> DATASET_ENTRIES =
      Set.of(Manifest.FILE_NAME, CONF_FILE, Split.TRAIN.id(), Split.VALIDATION.id(), Split.TEST.id(),
          RecordAccounting.QUARANTINE_DIR, SideTables.METADATA_DIR, BpeTraining.FILE);

  /**
   * Checks that {@code output} may be written: it does not exist, or it is a dataset directory and
   * {@code overwrite} is set; and it contains none of the inputs. Returns the qualified path.
   */
  public static Path check(String output, boolean overwrite, List<Path> inputs, Configuration conf) {
    try {
      Path raw = new Path(output);
      FileSystem fs = raw.getFileSystem(conf);
      Path out = fs.makeQualified(raw);
      for (Path input : inputs) {
        if ((input + "/").startsWith(out + "/")) {
          throw new DataError("input " + input + " is inside output " + output + "; choose another output");
        }
      }
      if (!fs.exists(out)) {
        return out;
      }
      if (!overwrite) {
        throw new DataError("output " + output + " already exists; set prepare.overwrite = true to replace it");
      }
      if (!fs.getFileStatus(out).isDirectory()) {
        throw new DataError("output " + output + " is a file, not a dataset directory");
      }
      for (FileStatus child : fs.listStatus(out)) {
        String name = child.getPath().getName();
        if (!DATASET_ENTRIES.contains(name) && !name.startsWith(".") && !name.startsWith("_")) {
          throw new DataError("output " + output + " exists and is not a prepared dataset (it contains '"
              + name + "'); refusing to overwrite it");
        }
      }
      return out;
    } catch (IOException | IllegalArgumentException e) {
      throw new DataError("cannot access output " + output + ": " + e.getMessage(), e);
    }
  }

  /** Removes an existing dataset (when allowed by {@link #check}), creates the directory, writes the config. */
  public static void create(Path out, String resolvedConfig, Configuration conf) throws IOException {
    FileSystem fs = out.getFileSystem(conf);
    if (fs.exists(out) && !fs.delete(out, true)) {
      throw new IOException("cannot delete " + out);
    }
    if (!fs.mkdirs(out)) {
      throw new IOException("cannot create " + out);
    }
    try (OutputStream o = fs.create(new Path(out, CONF_FILE), true)) {
      o.write(resolvedConfig.getBytes(StandardCharsets.UTF_8));
    }
  }

  /** Deletes the temporary files failed or speculative shard writers may have left. */
  public static void removeTemporaries(Path out, Configuration conf) throws IOException {
    FileSystem fs = out.getFileSystem(conf);
    for (String sub : List.of(Split.TRAIN.id(), Split.VALIDATION.id(), Split.TEST.id(), RecordAccounting.QUARANTINE_DIR,
        SideTables.METADATA_DIR)) {
      Path dir = new Path(out, sub);
      if (fs.exists(dir)) {
        for (FileStatus f : fs.listStatus(dir, p -> p.getName().startsWith(".") && p.getName().endsWith(".tmp"))) {
          fs.delete(f.getPath(), false);
        }
      }
    }
  }
}
