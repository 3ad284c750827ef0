package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.config.DataError;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.PathFilter;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * Expands the configured inputs into the ordered list of files to read, through the Hadoop file system
 * of each path: inputs in configured order; within one input, glob matches and directory contents
 * (recursively) sorted by path; hidden files (names starting with {@code .} or {@code _}, as Hadoop's
 * input formats skip them) left out; a file named twice read once. The index of a file in the result
 * is its file index in the packing order.
 */
public final class InputFiles {
  private InputFiles() {}

  private static final PathFilter VISIBLE = p -> !p.getName().startsWith(".") && !p.getName().startsWith("_");

  /** The input files, qualified; an input that matches nothing is a {@link DataError} naming it. */
  public static List<Path> expand(List<String> inputs, Configuration conf) {
    Set<Path> files = new LinkedHashSet<>();
    for (String input : inputs) {
      try {
        files.addAll(expandOne(input, conf));
      } catch (IOException | IllegalArgumentException e) {
        throw new DataError("cannot access input " + input + ": " + e.getMessage(), e);
      }
    }
    return List.copyOf(files);
  }

  private static List<Path> expandOne(String input, Configuration conf) throws IOException {
    Path pattern = new Path(input);
    FileSystem fs = pattern.getFileSystem(conf);
    FileStatus[] matches = fs.globStatus(pattern, VISIBLE);
    if (matches == null || matches.length == 0) {
      throw new DataError("input " + input + (isGlob(input) ? " matches no file" : " does not exist"));
    }
    Arrays.sort(matches, Comparator.comparing(s -> s.getPath().toString()));
    List<Path> files = new ArrayList<>();
    for (FileStatus match : matches) {
      if (match.isDirectory()) {
        List<Path> inDir = listVisible(fs, match.getPath());
        if (inDir.isEmpty()) {
          throw new DataError("input " + input + ": directory " + match.getPath() + " has no files");
        }
        files.addAll(inDir);
      } else {
        files.add(fs.makeQualified(match.getPath()));
      }
    }
    return files;
  }

  private static List<Path> listVisible(FileSystem fs, Path dir) throws IOException {
    List<Path> files = new ArrayList<>();
    int depth = dir.depth();
    RemoteIterator<LocatedFileStatus> it = fs.listFiles(dir, true);
    while (it.hasNext()) {
      Path p = fs.makeQualified(it.next().getPath());
      boolean hidden = false;
      for (Path q = p; q != null && q.depth() > depth; q = q.getParent()) {
        hidden |= !VISIBLE.accept(q);
      }
      if (!hidden) {
        files.add(p);
      }
    }
    files.sort(Comparator.comparing(Path::toString));
    return files;
  }

  private static boolean isGlob(String s) {
    return s.chars().anyMatch(c -> c == '*' || c == '?' || c == '[' || c == '{');
  }
}
