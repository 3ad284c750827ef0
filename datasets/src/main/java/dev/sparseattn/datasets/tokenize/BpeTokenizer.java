package dev.sparseattn.datasets.tokenize;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-level BPE (Sennrich et al. 2016, on bytes as in GPT-2, Radford et al. 2019), compatible with
 * Hugging Face tokenizers: {@link #toHuggingFaceJson()} is a {@code tokenizer.json} (ByteLevel
 * pre-tokenizer without prefix space, BPE model, ByteLevel decoder, the two specials as added tokens)
 * that Hugging Face's implementation loads and encodes to the same ids as {@link #encode}.
 *
 * <p>Ids: 0-255 the bytes, then one id per merge in rank order (merge {@code r} makes id
 * {@code 256 + r}), then PAD and EOS. Encoding: the text (invalid UTF-8 replaced by U+FFFD, as a
 * Rust string must be) is cut at occurrences of the special tokens' strings (which encode as their
 * ids), then by GPT-2's pattern ({@link ByteLevel#split}); each piece's bytes are merged by lowest
 * rank first (leftmost on ties) until no merge applies.
 */
public final class BpeTokenizer implements Tokenizer {
  private static final long serialVersionUID = 1L;

  /** The name in manifests and configs. */
  public static final String NAME = "bpe";
  private static final int CACHE_LIMIT = 1 << 17;

  private final int[][] merges;
  private final String padToken;
  private final String eosToken;
  private transient PairTable ranks;
  private transient byte[][] tokenBytes;
  private transient Map<String, int[]> cache;

  /** A tokenizer from merges ({@code {left id, right id}} in rank order) and the specials' strings. */
  public BpeTokenizer(List<int[]> merges, String padToken, String eosToken) {
    this.merges = merges.stream().map(int[]::clone).toArray(int[][]::new);
    this.padToken = padToken;
    this.eosToken = eosToken;
    for (int r = 0; r < this.merges.length; r++) {
      for (int part : this.merges[r]) {
        if (part < 0 || part >= 256 + r) {
          throw new IllegalArgumentException("merge " + r + " uses id " + part + ", not yet defined");
        }
      }
    }
    if (padToken.isEmpty() || eosToken.isEmpty() || padToken.equals(eosToken)) {
      throw new IllegalArgumentException("special tokens must be distinct and non-empty");
    }
  }

  private void init() {
    if (ranks != null) {
      return;
    }
    PairTable table = new PairTable(merges.length);
    byte[][] bytes = new byte[256 + merges.length][];
    for (int b = 0; b < 256; b++) {
      bytes[b] = new byte[] {(byte) b};
    }
    for (int r = 0; r < merges.length; r++) {
      table.put(merges[r][0], merges[r][1], 256 + r);
      byte[] l = bytes[merges[r][0]];
      byte[] rt = bytes[merges[r][1]];
      byte[] m = Arrays.copyOf(l, l.length + rt.length);
      System.arraycopy(rt, 0, m, l.length, rt.length);
      bytes[256 + r] = m;
    }
    tokenBytes = bytes;
    cache = new ConcurrentHashMap<>();
    ranks = table;
  }

  /** Merges in rank order. */
  public List<int[]> merges() {
    return Arrays.stream(merges).map(int[]::clone).toList();
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int vocabSize() {
    return 256 + merges.length + 2;
  }

  @Override
  public int padId() {
    return 256 + merges.length;
  }

  @Override
  public int eosId() {
    return 257 + merges.length;
  }

  @Override
  public int[] encodeUtf8(byte[] utf8, int offset, int length) {
    init();
    String text = new String(utf8, offset, length, StandardCharsets.UTF_8);
    IntBuffer out = new IntBuffer(Math.max(16, length / 3));
    int from = 0;
    while (from < text.length()) {
      int pad = text.indexOf(padToken, from);
      int eos = text.indexOf(eosToken, from);
      int at = pad < 0 ? eos : eos < 0 ? pad : Math.min(pad, eos);
      String special = at < 0 ? null : (at == eos && (at != pad || eosToken.length() >= padToken.length())) ? eosToken : padToken;
      int end = at < 0 ? text.length() : at;
      for (String piece : ByteLevel.split(text.substring(from, end))) {
        for (int id : word(piece)) {
          out.add(id);
        }
      }
      if (special == null) {
        break;
      }
      out.add(special.equals(eosToken) ? eosId() : padId());
      from = at + special.length();
    }
    return out.toArray();
  }

  /** The ids of one pre-token (cached). */
  private int[] word(String piece) {
    int[] cached = cache.get(piece);
    if (cached != null) {
      return cached;
    }
    byte[] b = piece.getBytes(StandardCharsets.UTF_8);
    int[] sym = new int[b.length];
    for (int i = 0; i < b.length; i++) {
      sym[i] = b[i] & 0xff;
    }
    int n = sym.length;
    while (n > 1) {
      int best = Integer.MAX_VALUE;
      int at = -1;
      for (int i = 0; i + 1 < n; i++) {
        int merged = ranks.get(sym[i], sym[i + 1]);
        if (merged >= 0 && merged < best) {
          best = merged;
          at = i;
        }
      }
      if (at < 0) {
        break;
      }
      sym[at] = best;
      System.arraycopy(sym, at + 2, sym, at + 1, n - at - 2);
      n--;
    }
    int[] ids = Arrays.copyOf(sym, n);
    if (cache.size() < CACHE_LIMIT) {
      cache.put(piece, ids);
    }
    return ids;
  }

  /** The bytes of the ids decoded as UTF-8 (malformed replaced); PAD skipped, EOS as a newline. */
  @Override
  public String decode(int[] ids, int from, int to) {
    init();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (int i = from; i < to; i++) {
      int id = ids[i];
      if (id == eosId()) {
        bytes.write('\n');
      } else if (id >= 0 && id < tokenBytes.length) {
        bytes.writeBytes(tokenBytes[id]);
      } else if (id != padId()) {
        bytes.writeBytes("\uFFFD".getBytes(StandardCharsets.UTF_8));
      }
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  /** The byte-level string of a (non-special) id, as in the vocabulary of tokenizer.json. */
  public String tokenString(int id) {
    init();
    return ByteLevel.toChars(tokenBytes[id]);
  }

  /** Merges as tokenizer.json writes them: {@code "left right"} in byte-level strings. */
  public List<String> mergeStrings() {
    List<String> out = new ArrayList<>(merges.length);
    for (int[] m : merges) {
      out.add(tokenString(m[0]) + " " + tokenString(m[1]));
    }
    return out;
  }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("name", NAME);
    d.put("vocab_size", vocabSize());
    d.put("pad_id", padId());
    d.put("eos_id", eosId());
    d.put("eos_decodes_as", "\n");
    d.put("pad_token", padToken);
    d.put("eos_token", eosToken);
    d.put("format", "byte-level BPE; tokenizer.json in the dataset directory is the Hugging Face form");
    d.put("merges", mergeStrings());
    return d;
  }

  /** Rebuilds a tokenizer from {@link #describe()} output (its merge strings). */
  static BpeTokenizer fromDescription(Map<String, ?> d) {
    @SuppressWarnings("unchecked")
    List<String> merges = (List<String>) d.get("merges");
    if (merges == null) {
      throw new IllegalArgumentException("no merges");
    }
    return fromMergeStrings(merges, (String) d.get("pad_token"), (String) d.get("eos_token"));
  }

  /** A tokenizer from {@code "left right"} merge strings (byte-level), ids assigned in order. */
  public static BpeTokenizer fromMergeStrings(List<String> mergeStrings, String padToken, String eosToken) {
    Map<String, Integer> vocab = new HashMap<>();
    for (int b = 0; b < 256; b++) {
      vocab.put(String.valueOf(ByteLevel.charOf(b)), b);
    }
    List<int[]> merges = new ArrayList<>();
    for (String m : mergeStrings) {
      int space = m.indexOf(' ');
      Integer l = vocab.get(m.substring(0, space));
      Integer r = vocab.get(m.substring(space + 1));
      if (space <= 0 || l == null || r == null) {
        throw new IllegalArgumentException("bad merge '" + m + "'");
      }
      vocab.put(m.substring(0, space) + m.substring(space + 1), 256 + merges.size());
      merges.add(new int[] {l, r});
    }
    return new BpeTokenizer(merges, padToken, eosToken);
  }

  /** This tokenizer as a Hugging Face {@code tokenizer.json} ({@link HuggingFaceJson}). */
  public String toHuggingFaceJson() {
    return HuggingFaceJson.write(this);
  }

  /** Reads a tokenizer.json written by {@link #toHuggingFaceJson()} (byte-level BPE, two added tokens). */
  public static BpeTokenizer fromHuggingFaceJson(String json) {
    return HuggingFaceJson.read(json);
  }

  String padToken() {
    return padToken;
  }

  String eosToken() {
    return eosToken;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BpeTokenizer t && Arrays.deepEquals(t.merges, merges) && t.padToken.equals(padToken)
        && t.eosToken.equals(eosToken);
  }

  @Override
  public int hashCode() {
    return Arrays.deepHashCode(merges) * 31 + padToken.hashCode();
  }

  @Override
  public String toString() {
    return "BpeTokenizer(vocab=" + vocabSize() + ", merges=" + merges.length + ")";
  }
}
