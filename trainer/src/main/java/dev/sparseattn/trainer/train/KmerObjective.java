package dev.sparseattn.trainer.train;

import dev.sparseattn.datasets.config.ConfigError;
import dev.sparseattn.datasets.tokenize.NucleotideTokenizer;
import dev.sparseattn.datasets.tokenize.Tokenizer;
import java.io.PrintStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refuses a causal (next-token) model on overlapping k-mers before training starts. With k-mers of
 * stride 1 &lt; k (DNABERT's tokens, Ji et al. 2021, made for a masked objective) the next token
 * repeats k - 1 bases of the current one, so a causal model predicts one new base per token while
 * seeming to predict k, and its loss says little. {@code train.allow-overlapping-kmers = true}
 * proceeds with a loud warning.
 */
public final class KmerObjective {
  private static final Logger LOG = LoggerFactory.getLogger(KmerObjective.class);

  private KmerObjective() {}

  /** Throws a {@link ConfigError} for overlapping k-mers unless {@code allow}; then warns on {@code out}. */
  public static void check(Tokenizer tokenizer, boolean allow, PrintStream out) {
    if (!(tokenizer instanceof NucleotideTokenizer n) || !n.overlappingKmers()) {
      return;
    }
    String what = "the dataset's tokens are overlapping k-mers (prepare.nucleotide.k = " + n.options().k()
        + ", prepare.nucleotide.overlapping = true: stride 1 < k) and the model's objective is causal next-token"
        + " prediction, which then sees all but one base of every next token";
    if (!allow) {
      throw new ConfigError("train.allow-overlapping-kmers", what + "; prepare the data with"
          + " prepare.nucleotide.overlapping = false (stride k), or set train.allow-overlapping-kmers = true to"
          + " train anyway");
    }
    String warning = "WARNING: " + what + "; training anyway (train.allow-overlapping-kmers = true): bits per"
        + " base count 1 new base per token";
    LOG.warn(warning);
    out.println(warning);
  }
}
