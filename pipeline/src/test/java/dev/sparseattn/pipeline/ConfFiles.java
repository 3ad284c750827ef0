package dev.sparseattn.pipeline;

import dev.sparseattn.datasets.config.JobArgs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Loads the repository's {@code conf/} files as a job would, with overrides. */
public final class ConfFiles {
  private ConfFiles() {}

  public static Path conf(String name) {
    return Path.of(System.getProperty("project.root.dir", ".."), "conf", name).toAbsolutePath().normalize();
  }

  /** {@code conf/<name>} with {@code prepare.input} pointed at the shared file and the given overrides. */
  public static PrepareConfig prepare(String name, Path input, Path output, String... overrides) {
    List<String> args = new ArrayList<>();
    args.add(conf(name).toString());
    args.add("prepare.input=[\"" + input.toUri() + "\"]");
    args.add("prepare.output=\"" + output.toUri() + "\"");
    args.addAll(List.of(overrides));
    return PrepareConfig.parse(JobArgs.load(args.toArray(String[]::new)));
  }
}
