package dev.sparseattn.pipeline;

import dev.sparseattn.datasets.config.Section;
import dev.sparseattn.datasets.tokenize.AmbiguityRule;
import dev.sparseattn.datasets.tokenize.BpeTrainer;
import dev.sparseattn.datasets.tokenize.NucleotideTokenizer;
import dev.sparseattn.datasets.tokenize.TimeSeriesTokenizer;

/**
 * Settings of the configurable tokenizers, from {@code prepare.nucleotide} and
 * {@code prepare.time-series} (read whatever {@code prepare.tokenizer} is, so typos fail early).
 *
 * <pre>
 * nucleotide {
 *   k = 1                      # bases per token [1, 8]
 *   overlapping = false        # k-mers with stride 1 (true) or k (false)
 *   ambiguous = token          # N and other IUPAC codes: token | split | reject
 *   case-fold = true           # soft-masked lower case read as upper case (k > 1 needs true)
 *   reverse-complement = false # also emit every window's reverse complement (augmentation)
 * }
 * time-series {
 *   bins = 4094, low = -15, high = 15   # Chronos' defaults
 *   horizon = csv.window / 2   # last steps of a window: predicted, so outside its scale (the context's)
 * }
 * bpe {                        # byte-level BPE, trained on the inputs (tokenizer = bpe)
 *   vocab-size = 8000          # ids, bytes and the two specials included [258, 1000000]
 *   min-frequency = 2          # pairs seen fewer times are not merged
 *   pad-token = "&lt;|pad|&gt;", eos-token = "&lt;|endoftext|&gt;"
 * }
 * </pre>
 *
 * @param nucleotide the nucleotide tokenizer's options
 * @param reverseComplement whether FASTA/FASTQ documents are doubled with their reverse complement
 * @param timeSeries the time-series tokenizer's options ({@code variables} set from the CSV layout)
 * @param bpe the BPE training settings
 */
public record TokenizerOptions(NucleotideTokenizer.Options nucleotide, boolean reverseComplement,
    TimeSeriesTokenizer.Options timeSeries, BpeTrainer.Settings bpe) {

  static TokenizerOptions parse(Section prepare, int variables, int window) {
    Section n = prepare.section("nucleotide");
    int k = n.integer("k", 1, 1, 8);
    boolean overlapping = n.bool("overlapping", false);
    AmbiguityRule ambiguous = n.choice("ambiguous", AmbiguityRule.class, AmbiguityRule.TOKEN);
    boolean caseFold = n.bool("case-fold", true);
    n.check(caseFold || k == 1, "case-fold", "must be true for k-mers (k = " + k + ")");
    boolean rc = n.bool("reverse-complement", false);
    Section t = prepare.section("time-series");
    int bins = t.integer("bins", 4094, 2, 65_536);
    double low = t.number("low", -15, -1e6, 1e6);
    double high = t.number("high", 15, -1e6, 1e6);
    t.check(low < high, "high", "must be above time-series.low (" + low + "), got " + high);
    int horizon = t.integer("horizon", window / 2, 0, 65_535);
    t.check(horizon < window, "horizon", "must be below csv.window (" + window + "): a window needs context steps,"
        + " got " + horizon);
    Section b = prepare.section("bpe");
    int vocab = b.integer("vocab-size", 8000, 258, 1_000_000);
    long minFrequency = b.longValue("min-frequency", 2, 1, Long.MAX_VALUE);
    String pad = b.string("pad-token", "<|pad|>");
    String eos = b.string("eos-token", "<|endoftext|>");
    b.check(!pad.isEmpty() && !eos.isEmpty() && !pad.equals(eos), "eos-token", "must be non-empty and differ from pad-token");
    return new TokenizerOptions(new NucleotideTokenizer.Options(k, overlapping, ambiguous, caseFold), rc,
        new TimeSeriesTokenizer.Options(bins, low, high, variables, horizon), new BpeTrainer.Settings(vocab, minFrequency, pad, eos));
  }
}
