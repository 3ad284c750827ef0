package dev.sparseattn.datasets.config;

import com.typesafe.config.Config;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The top-level sections of a job configuration. One file may configure several jobs (e.g.
 * {@code conf/quickstart.conf} holds {@code prepare}, {@code train}, {@code sample} and
 * {@code distributed}), so a job accepts the sections of the project's other jobs besides its own,
 * but an unknown top-level key (a misspelled section such as {@code prepar.seq-len=64}) stops it
 * instead of being ignored.
 */
public final class JobSections {
  /**
   * The sections read by the project's jobs: PrepareCorpus, Train, DistributedTrain, Sample, Evaluate, Serve, Score,
   * Embed, StreamScore.
   */
  public static final List<String> PROJECT = List.of("prepare", "train", "distributed", "sample", "evaluate",
      "serve", "score", "embed", "stream");

  private JobSections() {}

  /** Fails with a ConfigError naming every top-level key that is neither the job's nor another job's section. */
  public static void check(Config root, Set<String> own) {
    Set<String> accepted = new TreeSet<>(PROJECT);
    accepted.addAll(own);
    Set<String> unknown = new TreeSet<>(root.root().keySet());
    unknown.removeAll(accepted);
    if (!unknown.isEmpty()) {
      String first = unknown.iterator().next();
      String hint = accepted.stream().filter(a -> distance(a, first) <= 2).findFirst()
          .map(a -> " (did you mean '" + a + "'?)").orElse("");
      throw new ConfigError(String.join(", ", unknown), "unknown top-level section"
          + (unknown.size() > 1 ? "s" : "") + hint + "; the jobs read " + accepted);
    }
  }

  /** Levenshtein distance, for the hint. */
  static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j], cur[j - 1]) + 1);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
