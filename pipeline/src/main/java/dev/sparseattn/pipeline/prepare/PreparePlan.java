package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.pipeline.PrepareConfig;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * A checked preparation: the config, the expanded input files (their list index is the file index)
 * and the qualified output directory. Creating it touches only file systems, never Spark.
 */
public record PreparePlan(PrepareConfig config, List<Path> files, Path output) {

  /** Expands the inputs and checks the output; problems are DataErrors naming the path. */
  public static PreparePlan create(PrepareConfig config, Configuration hadoopConf) {
    List<Path> files = InputFiles.expand(config.input(), hadoopConf);
    Path output = OutputDir.check(config.output(), config.overwrite(), files, hadoopConf);
    return new PreparePlan(config, files, output);
  }
}
