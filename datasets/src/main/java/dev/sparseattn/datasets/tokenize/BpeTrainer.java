package dev.sparseattn.datasets.tokenize;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.TreeMap;

/**
 * Learns byte-level BPE merges from pre-token counts (Sennrich et al. 2016): repeatedly merge the most
 * frequent adjacent pair (ties: the smaller left id, then the smaller right id), updating pair counts
 * incrementally: only the words holding the merged pair are rewritten. The counts come from anywhere;
 * the pipeline counts pre-tokens on the cluster and hands the distinct words to this class.
 */
public final class BpeTrainer {
  private BpeTrainer() {}

  /**
   * Training settings.
   *
   * @param vocabSize the vocabulary size wanted, specials included (at least 258)
   * @param minFrequency pairs seen fewer times are never merged
   * @param padToken the PAD token's string
   * @param eosToken the EOS token's string
   */
  public record Settings(int vocabSize, long minFrequency, String padToken, String eosToken)
      implements java.io.Serializable {}

  /** Trains on pre-token counts (pre-tokens as {@link ByteLevel#split} cuts text). */
  public static BpeTokenizer train(Map<String, Long> preTokenCounts, Settings settings) {
    TreeMap<String, Long> sorted = new TreeMap<>(preTokenCounts);
    int[][] words = new int[sorted.size()][];
    long[] counts = new long[sorted.size()];
    int w = 0;
    for (Map.Entry<String, Long> e : sorted.entrySet()) {
      byte[] b = e.getKey().getBytes(StandardCharsets.UTF_8);
      words[w] = new int[b.length];
      for (int i = 0; i < b.length; i++) {
        words[w][i] = b[i] & 0xff;
      }
      counts[w++] = e.getValue();
    }
    return new BpeTokenizer(merge(words, counts, settings), settings.padToken(), settings.eosToken());
  }

  private record Entry(long count, long pair) {}

  static List<int[]> merge(int[][] words, long[] counts, Settings settings) {
    Map<Long, Long> pairCounts = new HashMap<>();
    Map<Long, List<Integer>> where = new HashMap<>();
    for (int w = 0; w < words.length; w++) {
      addPairs(words[w], counts[w], w, pairCounts, where);
    }
    PriorityQueue<Entry> queue = new PriorityQueue<>((a, b) -> a.count != b.count
        ? Long.compare(b.count, a.count) : Long.compare(a.pair, b.pair));
    pairCounts.forEach((p, c) -> queue.add(new Entry(c, p)));
    List<int[]> merges = new ArrayList<>();
    int wanted = settings.vocabSize() - 258;
    while (merges.size() < wanted && !queue.isEmpty()) {
      Entry top = queue.poll();
      Long current = pairCounts.get(top.pair);
      if (current == null || current != top.count) {
        continue; // stale
      }
      if (top.count < settings.minFrequency()) {
        break;
      }
      int left = (int) (top.pair >>> 32);
      int right = (int) top.pair;
      int id = 256 + merges.size();
      merges.add(new int[] {left, right});
      Map<Long, Long> before = new HashMap<>();
      for (int w : new ArrayList<>(where.getOrDefault(top.pair, List.of()))) {
        int[] word = words[w];
        if (!contains(word, left, right)) {
          continue;
        }
        removePairs(word, counts[w], pairCounts, before);
        words[w] = apply(word, left, right, id);
        addPairs(words[w], counts[w], w, pairCounts, where);
        for (int i = 0; i + 1 < words[w].length; i++) {
          before.putIfAbsent(PairTable.key(words[w][i], words[w][i + 1]), 0L);
        }
      }
      pairCounts.remove(top.pair);
      for (Long p : before.keySet()) {
        Long c = pairCounts.get(p);
        if (c != null && c > 0 && p != top.pair) {
          queue.add(new Entry(c, p));
        }
      }
    }
    return merges;
  }

  private static boolean contains(int[] word, int left, int right) {
    for (int i = 0; i + 1 < word.length; i++) {
      if (word[i] == left && word[i + 1] == right) {
        return true;
      }
    }
    return false;
  }

  /** The word with every non-overlapping (left, right), left to right, replaced by {@code id}. */
  static int[] apply(int[] word, int left, int right, int id) {
    int[] out = new int[word.length];
    int n = 0;
    for (int i = 0; i < word.length; i++) {
      if (i + 1 < word.length && word[i] == left && word[i + 1] == right) {
        out[n++] = id;
        i++;
      } else {
        out[n++] = word[i];
      }
    }
    return java.util.Arrays.copyOf(out, n);
  }

  private static void addPairs(int[] word, long count, int w, Map<Long, Long> pairCounts, Map<Long, List<Integer>> where) {
    for (int i = 0; i + 1 < word.length; i++) {
      long p = PairTable.key(word[i], word[i + 1]);
      pairCounts.merge(p, count, Long::sum);
      List<Integer> ws = where.computeIfAbsent(p, k -> new ArrayList<>());
      if (ws.isEmpty() || ws.get(ws.size() - 1) != w) {
        ws.add(w);
      }
    }
  }

  private static void removePairs(int[] word, long count, Map<Long, Long> pairCounts, Map<Long, Long> touched) {
    for (int i = 0; i + 1 < word.length; i++) {
      long p = PairTable.key(word[i], word[i + 1]);
      long c = pairCounts.merge(p, -count, Long::sum);
      if (c == 0) {
        pairCounts.remove(p);
      }
      touched.putIfAbsent(p, 0L);
    }
  }
}
