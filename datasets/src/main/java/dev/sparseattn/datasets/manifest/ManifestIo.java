package dev.sparseattn.datasets.manifest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sparseattn.datasets.config.DataError;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** JSON and file-system handling of {@link Manifest}s. */
final class ManifestIo {
  private ManifestIo() {}

  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  static String toJson(Manifest m) {
    try {
      return JSON.writeValueAsString(m) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize manifest", e);
    }
  }

  static Manifest fromJson(String json, String source) {
    Manifest m;
    try {
      m = JSON.readValue(json, Manifest.class);
    } catch (JsonProcessingException e) {
      throw new DataError("cannot parse " + source + ": " + e.getOriginalMessage()
          + " (line " + (e.getLocation() == null ? "?" : e.getLocation().getLineNr()) + ")");
    }
    validate(m, source);
    return m;
  }

  static void validate(Manifest m, String source) {
    if (m == null) {
      throw new DataError(source + " is empty");
    }
    if (m.schemaVersion() < Manifest.MIN_SCHEMA_VERSION || m.schemaVersion() > Manifest.SCHEMA_VERSION) {
      throw new DataError(source + ": schema_version " + m.schemaVersion() + " is not supported (this build reads "
          + Manifest.MIN_SCHEMA_VERSION + " to " + Manifest.SCHEMA_VERSION + ")");
    }
    require(m.records() == null || m.records().consistent(), source,
        "records (read must equal emitted + quarantined): " + m.records());
    require(m.tokenizer() != null && m.tokenizer().get("vocab_size") instanceof Number, source, "tokenizer.vocab_size");
    require(m.seqLen() > 0, source, "seq_len");
    require(m.splits() != null, source, "splits");
    for (Split split : Split.values()) {
      SplitInfo s = m.splits().get(split.id());
      if (s == null && split == Split.TEST) {
        continue; // manifests written before the test split have none
      }
      require(s != null, source, "splits." + split.id());
      require(s.shards() != null, source, "splits." + split.id() + ".shards");
      require(s.tokenHistogram() != null && s.tokenHistogram().length == m.vocabSize(), source,
          "splits." + split.id() + ".token_histogram (" + m.vocabSize() + " counts)");
    }
  }

  private static void require(boolean ok, String source, String field) {
    if (!ok) {
      throw new DataError(source + ": missing or invalid " + field);
    }
  }

  /** The manifest file of a dataset given as its directory or its manifest file. */
  static Path manifestPath(String uri, Configuration conf) {
    Path p = new Path(uri);
    try {
      FileSystem fs = p.getFileSystem(conf);
      if (!fs.exists(p)) {
        throw new DataError("dataset not found: " + uri);
      }
      if (fs.getFileStatus(p).isFile()) {
        return fs.makeQualified(p);
      }
      Path manifest = new Path(p, Manifest.FILE_NAME);
      if (!fs.exists(manifest)) {
        throw new DataError("no " + Manifest.FILE_NAME + " in " + uri + ": run PrepareCorpus first"
            + " (or it did not finish)");
      }
      return fs.makeQualified(manifest);
    } catch (IOException e) {
      throw new DataError("cannot access dataset " + uri + ": " + e.getMessage(), e);
    }
  }

  static Manifest read(Path manifest, Configuration conf) {
    try {
      FileSystem fs = manifest.getFileSystem(conf);
      byte[] bytes;
      try (var in = fs.open(manifest)) {
        bytes = in.readAllBytes();
      }
      return fromJson(new String(bytes, StandardCharsets.UTF_8), manifest.toString());
    } catch (IOException e) {
      throw new DataError("cannot read " + manifest + ": " + e.getMessage(), e);
    }
  }

  static void write(Manifest m, String datasetDir, Configuration conf) throws IOException {
    Path dir = new Path(datasetDir);
    FileSystem fs = dir.getFileSystem(conf);
    Path target = new Path(dir, Manifest.FILE_NAME);
    Path tmp = new Path(dir, "." + Manifest.FILE_NAME + ".tmp");
    try (OutputStream out = fs.create(tmp, true)) {
      out.write(toJson(m).getBytes(StandardCharsets.UTF_8));
    }
    if (fs.exists(target) && !fs.delete(target, false)) {
      throw new IOException("cannot replace " + target);
    }
    if (!fs.rename(tmp, target)) {
      throw new IOException("cannot rename " + tmp + " to " + target);
    }
  }
}
