package dev.sparseattn.trainer.io;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sparseattn.datasets.config.DataError;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A job's output directory on any Hadoop file system (local, HDFS, S3A): creates it (refusing to
 * replace an existing one unless asked), writes text, JSON and binary files into it, and moves local
 * files in, so that the jobs never care where their outputs live.
 */
public final class ModelDirectory {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final Path dir;
  private final FileSystem fs;

  private ModelDirectory(Path dir, FileSystem fs) {
    this.dir = dir;
    this.fs = fs;
  }

  /** An output directory to write; an existing one is an error unless {@code overwrite}. */
  public static ModelDirectory create(String uri, boolean overwrite, Configuration conf) throws IOException {
    Path p = new Path(uri);
    FileSystem fs = unbuffered(p.getFileSystem(conf));
    Path q = fs.makeQualified(p);
    if (fs.exists(q)) {
      if (!overwrite) {
        throw new DataError("output " + q + " already exists (set overwrite = true to replace it)");
      }
      fs.delete(q, true);
    }
    fs.mkdirs(q);
    return new ModelDirectory(q, fs);
  }

  /** A directory to keep writing into (a resumed run): created if absent, never emptied. */
  public static ModelDirectory reuse(String uri, Configuration conf) throws IOException {
    Path p = new Path(uri);
    FileSystem fs = unbuffered(p.getFileSystem(conf));
    Path q = fs.makeQualified(p);
    fs.mkdirs(q);
    return new ModelDirectory(q, fs);
  }

  /** An existing directory to read; a missing one is a {@link DataError}. */
  public static ModelDirectory openExisting(String uri, Configuration conf) {
    try {
      Path p = new Path(uri);
      FileSystem fs = unbuffered(p.getFileSystem(conf));
      Path q = fs.makeQualified(p);
      if (!fs.exists(q) || !fs.getFileStatus(q).isDirectory()) {
        throw new DataError("no model directory at " + q + " (run the train job first)");
      }
      return new ModelDirectory(q, fs);
    } catch (IOException e) {
      throw new DataError("cannot open model directory " + uri + ": " + e.getMessage(), e);
    }
  }

  /**
   * Hadoop's local file system checksums through a buffer that {@code flush()} does not empty, so lines
   * written before a crash could be lost; its raw form writes straight through (and leaves no .crc files).
   */
  private static FileSystem unbuffered(FileSystem fs) {
    return fs instanceof LocalFileSystem local ? local.getRaw() : fs;
  }

  public Path path() {
    return dir;
  }

  public Path resolve(String name) {
    return new Path(dir, name);
  }

  public OutputStream create(String name) throws IOException {
    return fs.create(resolve(name), true);
  }

  public InputStream open(String name) throws IOException {
    Path p = resolve(name);
    if (!fs.exists(p)) {
      throw new DataError("missing " + p);
    }
    return fs.open(p);
  }

  public boolean exists(String name) throws IOException {
    return fs.exists(resolve(name));
  }

  public byte[] readBytes(String name) throws IOException {
    try (InputStream in = open(name)) {
      return in.readAllBytes();
    }
  }

  public void writeText(String name, String text) throws IOException {
    try (OutputStream out = create(name)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }

  public void writeJson(String name, Object value) throws IOException {
    writeText(name, JSON.writeValueAsString(value) + "\n");
  }

  public Map<String, Object> readJson(String name) throws IOException {
    try (InputStream in = open(name)) {
      return JSON.readValue(in, new TypeReference<Map<String, Object>>() {});
    }
  }

  /** Copies a local file in under {@code name}. */
  public void put(File local, String name) throws IOException {
    fs.copyFromLocalFile(false, true, new Path(local.toURI()), resolve(name));
  }

  /** Copies {@code name} to a local temporary file (deleted on exit) and returns it. */
  public File fetch(String name) throws IOException {
    File local = Files.createTempFile("sparseattn-", "-" + name).toFile();
    local.deleteOnExit();
    try (InputStream in = open(name)) {
      Files.copy(in, local.toPath(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    return local;
  }
}
