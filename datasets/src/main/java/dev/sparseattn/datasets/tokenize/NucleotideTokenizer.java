package dev.sparseattn.datasets.tokenize;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * DNA as tokens: single bases ({@code k = 1}) or k-mers, overlapping (stride 1, as in DNABERT, Ji et
 * al. 2021) or not (stride k, as in the Nucleotide Transformer, Dalla-Torre et al. 2023). Input is the
 * bases as ASCII letters; RNA's U reads as T.
 *
 * <p>Vocabulary, in id order:
 * <ul>
 *   <li>{@code k = 1}: {@code A C G T}, then {@code a c g t} when case is kept (soft-masked repeats,
 *       {@code caseFold = false}), then with {@link AmbiguityRule#TOKEN} the eleven IUPAC codes
 *       {@code N R Y S W K M B D H V} (and their lower case when case is kept);
 *   <li>{@code k > 1}: the 4^k k-mers in base-4 order (A=0, C=1, G=2, T=3, first base most
 *       significant), the ambiguous k-mer (any k-mer holding an IUPAC code; it decodes as N's; only with
 *       {@code TOKEN}), then the single bases {@code A C G T N} for the tail of a non-overlapping
 *       encoding (and for sequences shorter than k);
 *   <li>PAD, then EOS (document separator; decodes as a newline).
 * </ul>
 * Letters that are neither bases nor IUPAC codes are refused ({@link #reject}), whatever the rule.
 *
 * @see AmbiguityRule
 */
public final class NucleotideTokenizer implements Tokenizer {
  private static final long serialVersionUID = 1L;

  /** The name in manifests and configs. */
  public static final String NAME = "nucleotide";
  /** The IUPAC ambiguity codes in token order. */
  static final String IUPAC = "NRYSWKMBDHV";
  private static final String BASES = "ACGT";
  /** Base index: 0-3 for ACGT (U as T), 4 for an ambiguity code, -1 for anything else. */
  private static final byte[] CODE = new byte[256];

  static {
    Arrays.fill(CODE, (byte) -1);
    for (int i = 0; i < 4; i++) {
      CODE[BASES.charAt(i)] = (byte) i;
      CODE[Character.toLowerCase(BASES.charAt(i))] = (byte) i;
    }
    CODE['U'] = 3;
    CODE['u'] = 3;
    for (char c : IUPAC.toCharArray()) {
      CODE[c] = 4;
      CODE[Character.toLowerCase(c)] = 4;
    }
  }

  /**
   * Tokenizer settings.
   *
   * @param k bases per token, 1 to 8
   * @param overlapping k-mers with stride 1 (true) or k (false); ignored for k = 1
   * @param ambiguous what N and other IUPAC codes become
   * @param caseFold lower case (soft-masked) bases read as upper case; must be true for k &gt; 1
   */
  public record Options(int k, boolean overlapping, AmbiguityRule ambiguous, boolean caseFold)
      implements java.io.Serializable {
    public Options {
      if (k < 1 || k > 8) {
        throw new IllegalArgumentException("k must be in [1, 8], got " + k);
      }
      if (k > 1 && !caseFold) {
        throw new IllegalArgumentException("k-mers need case folding (caseFold = true)");
      }
    }
  }

  private final Options options;
  private final int kmers;
  private final int vocabSize;

  public NucleotideTokenizer(Options options) {
    this.options = options;
    this.kmers = 1 << (2 * options.k());
    this.vocabSize = options.k() == 1 ? singleBaseCount() + 2 : kmers + (tokenAmbiguity() ? 1 : 0) + 5 + 2;
  }

  /** The options of this tokenizer. */
  /** Whether tokens are overlapping k-mers (k &gt; 1, stride 1 &lt; k): a token repeats k - 1 bases of the previous one. */
  public boolean overlappingKmers() {
    return options.k() > 1 && options.overlapping();
  }

  /**
   * The new bases each token adds to a document, its stride: 1 for overlapping k-mers, k otherwise (the
   * single-base tokens of a non-overlapping tail add 1; this is the nominal rate of whole k-mers).
   */
  public int basesPerToken() {
    return overlappingKmers() ? 1 : options.k();
  }

  public Options options() {
    return options;
  }

  private boolean tokenAmbiguity() {
    return options.ambiguous() == AmbiguityRule.TOKEN;
  }

  private int singleBaseCount() {
    int cases = options.caseFold() ? 1 : 2;
    return cases * (4 + (tokenAmbiguity() ? IUPAC.length() : 0));
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int vocabSize() {
    return vocabSize;
  }

  @Override
  public int padId() {
    return vocabSize - 2;
  }

  @Override
  public int eosId() {
    return vocabSize - 1;
  }

  @Override
  public String reject(byte[] utf8, int offset, int length) {
    for (int i = 0; i < length; i++) {
      int c = utf8[offset + i] & 0xff;
      if (CODE[c] < 0) {
        return "unexpected-letter: " + printable(c) + " at " + i;
      }
      if (CODE[c] == 4 && options.ambiguous() == AmbiguityRule.REJECT) {
        return "ambiguous-base: '" + (char) c + "' at " + i;
      }
    }
    return null;
  }

  /**
   * Bases that {@link #encodeUtf8} drops from a document: with {@link AmbiguityRule#SPLIT}, its
   * ambiguous codes (N and the other IUPAC codes, where the document is cut); 0 with the other rules.
   */
  public long droppedBases(byte[] utf8, int offset, int length) {
    if (options.ambiguous() != AmbiguityRule.SPLIT) {
      return 0;
    }
    long n = 0;
    for (int i = offset; i < offset + length; i++) {
      n += CODE[utf8[i] & 0xff] == 4 ? 1 : 0;
    }
    return n;
  }

  private static String printable(int c) {
    return c >= 0x21 && c < 0x7f ? "'" + (char) c + "'" : String.format("0x%02x", c);
  }

  /** Encodes bases; throws {@link IllegalArgumentException} on a document {@link #reject} refuses. */
  @Override
  public int[] encodeUtf8(byte[] utf8, int offset, int length) {
    String why = reject(utf8, offset, length);
    if (why != null) {
      throw new IllegalArgumentException("cannot encode: " + why);
    }
    IntBuffer out = new IntBuffer(length + 1);
    if (options.ambiguous() == AmbiguityRule.SPLIT) {
      int start = offset;
      int end = offset + length;
      for (int i = offset; i <= end; i++) {
        if (i == end || CODE[utf8[i] & 0xff] == 4) {
          if (i > start) {
            if (out.size() > 0) {
              out.add(eosId());
            }
            encodeRun(utf8, start, i - start, out);
          }
          start = i + 1;
        }
      }
    } else {
      encodeRun(utf8, offset, length, out);
    }
    return out.toArray();
  }

  private void encodeRun(byte[] b, int offset, int length, IntBuffer out) {
    int k = options.k();
    if (k == 1) {
      for (int i = 0; i < length; i++) {
        out.add(singleBase(b[offset + i] & 0xff));
      }
      return;
    }
    int stride = options.overlapping() ? 1 : k;
    int i = 0;
    for (; i + k <= length; i += stride) {
      out.add(kmer(b, offset + i));
    }
    // Non-overlapping: the bases after the last whole k-mer; overlapping: only a run shorter than k.
    int tail = options.overlapping() ? (length < k ? 0 : length) : i;
    for (int j = tail; j < length; j++) {
      int code = CODE[b[offset + j] & 0xff];
      out.add(kmers + (tokenAmbiguity() ? 1 : 0) + code);
    }
  }

  private int singleBase(int c) {
    int code = CODE[c];
    boolean lower = !options.caseFold() && c >= 'a';
    int perCase = singleBaseCount() / (options.caseFold() ? 1 : 2);
    int id = code < 4 ? code : 4 + IUPAC.indexOf(Character.toUpperCase((char) c));
    return lower ? perCase + id : id;
  }

  private int kmer(byte[] b, int at) {
    int id = 0;
    for (int j = 0; j < options.k(); j++) {
      int code = CODE[b[at + j] & 0xff];
      if (code == 4) {
        return kmers; // the ambiguous k-mer (only reachable with TOKEN)
      }
      id = id * 4 + code;
    }
    return id;
  }

  /**
   * The bases of {@code ids[from, to)}: PAD skipped, EOS as a newline, unknown ids as '?'. Overlapping
   * k-mers are joined by their last base, so {@code decode(encode(s))} is {@code s} upper-cased (lower
   * case kept when not folded) for every sequence without ambiguity codes; with {@code TOKEN} an
   * ambiguous k-mer decodes as N's, with {@code SPLIT} ambiguous runs become newlines.
   */
  @Override
  public String decode(int[] ids, int from, int to) {
    StringBuilder s = new StringBuilder(Math.max(0, to - from) * options.k());
    boolean runStarted = false;
    for (int i = from; i < to; i++) {
      int id = ids[i];
      if (id == padId()) {
        continue;
      }
      if (id == eosId()) {
        s.append('\n');
        runStarted = false;
        continue;
      }
      String piece = piece(id);
      if (piece == null) {
        s.append('?');
      } else if (options.k() > 1 && options.overlapping() && runStarted
          && id < kmers + (tokenAmbiguity() ? 1 : 0)) {
        s.append(piece.charAt(piece.length() - 1));
      } else {
        s.append(piece);
        runStarted = id < kmers + (tokenAmbiguity() ? 1 : 0);
      }
    }
    return s.toString();
  }

  /** The text of one non-special id, or null. */
  private String piece(int id) {
    if (id < 0 || id >= padId()) {
      return null;
    }
    int k = options.k();
    if (k == 1) {
      int perCase = singleBaseCount() / (options.caseFold() ? 1 : 2);
      boolean lower = id >= perCase;
      int base = id % perCase;
      char c = base < 4 ? BASES.charAt(base) : IUPAC.charAt(base - 4);
      return String.valueOf(lower ? Character.toLowerCase(c) : c);
    }
    if (id < kmers) {
      char[] cs = new char[k];
      for (int j = k - 1, v = id; j >= 0; j--, v >>= 2) {
        cs[j] = BASES.charAt(v & 3);
      }
      return new String(cs);
    }
    int single = id - kmers - (tokenAmbiguity() ? 1 : 0);
    return single < 0 ? "N".repeat(k) : String.valueOf("ACGTN".charAt(single));
  }

  /**
   * The reverse complement of bases (A-T, C-G, IUPAC codes to their complements, case kept); the
   * augmentation the pipeline adds when asked, since DNA is read from either strand.
   */
  public static byte[] reverseComplement(byte[] bases, int offset, int length) {
    byte[] out = new byte[length];
    for (int i = 0; i < length; i++) {
      out[length - 1 - i] = complement(bases[offset + i]);
    }
    return out;
  }

  private static final String FROM = "ACGTUNRYSWKMBDHVacgtunryswkmbdhv";
  private static final String TO = "TGCAANYRSWMKVHDBtgcaanyrswmkvhdb";

  private static byte complement(byte b) {
    int i = FROM.indexOf(b);
    return i < 0 ? b : (byte) TO.charAt(i);
  }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("name", NAME);
    d.put("vocab_size", vocabSize);
    d.put("pad_id", padId());
    d.put("eos_id", eosId());
    d.put("eos_decodes_as", "\n");
    d.put("k", options.k());
    d.put("overlapping", options.overlapping());
    d.put("ambiguous", options.ambiguous().name().toLowerCase(java.util.Locale.ROOT));
    d.put("case_fold", options.caseFold());
    return d;
  }

  /** Rebuilds a tokenizer from {@link #describe()} output. */
  static NucleotideTokenizer fromDescription(Map<String, ?> d) {
    return new NucleotideTokenizer(new Options(((Number) d.get("k")).intValue(),
        Boolean.TRUE.equals(d.get("overlapping")),
        AmbiguityRule.valueOf(String.valueOf(d.get("ambiguous")).toUpperCase(java.util.Locale.ROOT)),
        !Boolean.FALSE.equals(d.get("case_fold"))));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NucleotideTokenizer t && t.options.equals(options);
  }

  @Override
  public int hashCode() {
    return options.hashCode();
  }

  @Override
  public String toString() {
    return "NucleotideTokenizer(" + options + ", vocab=" + vocabSize + ")";
  }
}
