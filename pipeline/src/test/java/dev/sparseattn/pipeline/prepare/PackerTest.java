package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.read.DocLine;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.datasets.read.FastaReader;
import dev.sparseattn.datasets.tokenize.AmbiguityRule;
import dev.sparseattn.datasets.tokenize.NucleotideTokenizer;
import dev.sparseattn.datasets.tokenize.ByteTokenizer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class PackerTest {
  private static final int PAD = ByteTokenizer.PAD;
  private static final int EOS = ByteTokenizer.EOS;
  private static final ChunkId ID = new ChunkId(0, 0);

  private static Packer packer(int seqLen, double validation) {
    return new Packer(new ByteTokenizer(), seqLen, new SplitHash(7, validation));
  }

  private static DocLine doc(long offset, String text) {
    return new DocLine(offset, text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void cutsOverlappingWindowsAndPadsTheTail() {
    // Given out of order: packing sorts by offset. Stream: a b EOS EOS c d e EOS (T = 8).
    PackedChunk p = packer(3, 0).pack(ID, List.of(doc(3, ""), doc(4, "cde"), doc(0, "ab")));
    assertEquals(3, p.sequences(), "max(1, ceil((T-1)/L)) = ceil(7/3)");
    assertArrayEquals(new int[] {'a', 'b', EOS, EOS}, p.sequence(0));
    assertArrayEquals(new int[] {EOS, 'c', 'd', 'e'}, p.sequence(1), "starts with the previous window's last id");
    assertArrayEquals(new int[] {'e', EOS, PAD, PAD}, p.sequence(2));
    assertEquals(List.of(4, 4, 2), IntStream.range(0, 3).map(p::nTokens).boxed().toList());

    ChunkSummary s = p.summary();
    assertEquals(3, s.documents());
    assertEquals(5, s.contentBytes());
    assertEquals(8, s.streamTokens());
    assertEquals(3, s.sequences(Split.TRAIN.ordinal()));
    assertEquals(3, s.records(Split.TRAIN.ordinal()));
  }

  @Test
  void aChunkOfLinesIsOneDocumentWhenJoined() {
    List<DocLine> units = List.of(doc(9, "cd"), DocLine.quarantined(5, -1, new byte[] {1}, "binary: x"), doc(0, "ab"),
        doc(12, ""));
    PackedChunk p = new Packer(new ByteTokenizer(), 8, new SplitHash(7, 0), true).pack(ID, units);
    assertEquals(1, p.sequences());
    assertArrayEquals(new int[] {'a', 'b', '\n', 'c', 'd', '\n', EOS, PAD, PAD}, p.sequence(0),
        "admitted lines in file order, joined by newlines, one EOS; the quarantined unit left out");
    ChunkSummary s = p.summary();
    assertEquals(1, s.documents());
    assertEquals(1, s.records(Split.TRAIN.ordinal()));
    assertEquals(4, s.tally().read(), "every unit still accounted for");
    assertEquals(1, s.tally().quarantined());

    PackedChunk blankFirst = new Packer(new ByteTokenizer(), 8, new SplitHash(7, 0), true).pack(ID,
        List.of(doc(0, ""), doc(1, "ab")));
    assertArrayEquals(new int[] {'\n', 'a', 'b', EOS, PAD, PAD, PAD, PAD, PAD}, blankFirst.sequence(0),
        "an empty first line still gets its newline");

    // assigned to a split as a whole, by the first line's offset
    SplitHash hash = new SplitHash(7, 0.5);
    for (long first = 0; first < 40; first++) {
      PackedChunk q = new Packer(new ByteTokenizer(), 8, hash, true).pack(ID,
          List.of(doc(first, "ab"), doc(first + 3, "cd")));
      Split expected = hash.split(ID.file(), doc(first, "ab"));
      assertEquals(1, q.summary().records(expected.ordinal()), "offset " + first);
    }
  }

  @Test
  void edgeLengths() {
    PackedChunk empty = packer(4, 0).pack(ID, List.of(doc(0, "")));
    assertEquals(1, empty.sequences(), "a lone EOS still makes one sequence");
    assertArrayEquals(new int[] {EOS, PAD, PAD, PAD, PAD}, empty.sequence(0));

    PackedChunk exact = packer(4, 0).pack(ID, List.of(doc(0, "abcd"))); // T = 5 = L + 1
    assertEquals(1, exact.sequences());
    assertArrayEquals(new int[] {'a', 'b', 'c', 'd', EOS}, exact.sequence(0));

    PackedChunk oneMore = packer(4, 0).pack(ID, List.of(doc(0, "abcde"))); // T = 6
    assertEquals(2, oneMore.sequences());
    assertArrayEquals(new int[] {'e', EOS, PAD, PAD, PAD}, oneMore.sequence(1));
  }

  /**
   * Random documents: per split, the windows rebuild that split's stream (its documents in order, each
   * with its EOS), each document lies in one split only, and the non-PAD ids are T + n - 1 per stream.
   */
  @Test
  void windowsRebuildTheStreamAndCountsAddUp() {
    Random r = new Random(3);
    SplitHash hash = new SplitHash(7, 0.3);
    for (int trial = 0; trial < 50; trial++) {
      int seqLen = 8 + r.nextInt(40);
      List<DocLine> docs = new ArrayList<>();
      List<List<Integer>> expected = List.of(new ArrayList<>(), new ArrayList<>());
      long offset = 0;
      for (int d = 0, n = 1 + r.nextInt(30); d < n; d++) {
        byte[] b = new byte[r.nextInt(100)];
        r.nextBytes(b);
        DocLine doc = new DocLine(offset, b);
        docs.add(doc);
        offset += b.length + 1;
        List<Integer> into = expected.get(hash.split(ID.file(), doc).ordinal());
        for (byte x : b) {
          into.add(x & 0xff);
        }
        into.add(EOS);
      }
      PackedChunk p = packer(seqLen, 0.3).pack(ID, docs);
      List<List<Integer>> rebuilt = List.of(new ArrayList<>(), new ArrayList<>());
      long nonPad = 0;
      long[] records = new long[2];
      Split previous = null;
      for (int i = 0; i < p.sequences(); i++) {
        int[] seq = p.sequence(i);
        assertEquals(seqLen + 1, seq.length);
        int n = p.nTokens(i);
        nonPad += n;
        for (int j = 0; j < seq.length; j++) {
          assertEquals(j >= n, seq[j] == PAD, "PAD exactly after n_tokens");
        }
        Split split = p.split(i);
        for (int j = split == previous ? 1 : 0; j < n; j++) { // a split's first row owns its first id
          rebuilt.get(split.ordinal()).add(seq[j]);
          if (seq[j] == EOS) {
            records[split.ordinal()]++;
          }
        }
        previous = split;
      }
      assertEquals(expected, rebuilt, "each split's rows hold exactly its own documents, whole");
      ChunkSummary s = p.summary();
      assertEquals(expected.get(0).size() + expected.get(1).size() + p.sequences() - s.streams(), nonPad);
      assertEquals(docs.size(), s.records(0) + s.records(1));
      assertArrayEquals(records, new long[] {s.records(0), s.records(1)});
    }
  }

  /** Long documents spanning many rows: every row of a document is in that document's split. */
  @Test
  void noDocumentHasRowsInBothSplits() {
    List<DocLine> docs = new ArrayList<>();
    for (int d = 0; d < 40; d++) { // document d is 50 copies of the letter 'A' + d % 26, 3 + rows each
      docs.add(doc(d * 100L, String.valueOf((char) ('A' + d % 26)).repeat(50)));
    }
    PackedChunk p = packer(16, 0.3).pack(ID, docs);
    java.util.Map<Integer, java.util.Set<Split>> splitsOfLetter = new java.util.HashMap<>();
    for (int i = 0; i < p.sequences(); i++) {
      for (int id : p.sequence(i)) {
        if (id != PAD && id != EOS) {
          splitsOfLetter.computeIfAbsent(id, k -> new java.util.HashSet<>()).add(p.split(i));
        }
      }
    }
    SplitHash hash = new SplitHash(7, 0.3);
    assertTrue(docs.stream().anyMatch(d -> hash.split(0, d) == Split.VALIDATION), "both splits in use");
    for (DocLine d : docs) {
      Split own = hash.split(0, d);
      int letter = d.bytes()[0];
      boolean shared = docs.stream().anyMatch(o -> o.bytes()[0] == letter && hash.split(0, o) != own);
      if (!shared) {
        assertEquals(java.util.Set.of(own), splitsOfLetter.get(letter), "document at " + d.offset());
      }
    }
  }

  /**
   * FASTA windows with their reverse complements ({@code prepare.nucleotide.reverse-complement = true}): a window and
   * its reverse complement always land in the same split (they share the window's offset), so no held-out window has
   * its other strand in training. Random bases, so no two documents coincide by chance.
   */
  @Test
  void aWindowAndItsReverseComplementShareTheSplit() {
    Random random = new Random(3);
    StringBuilder genome = new StringBuilder(">chr\n");
    for (int i = 0; i < 40 * 16; i++) {
      genome.append("ACGT".charAt(random.nextInt(4)));
    }
    List<DocLine> units = new ArrayList<>();
    new FastaReader(16, 16, true).open(new java.io.ByteArrayInputStream(
        genome.toString().getBytes(StandardCharsets.US_ASCII))).forEachRemaining(units::add);
    assertEquals(80, units.size(), "40 windows, each followed by its reverse complement");
    NucleotideTokenizer dna = new NucleotideTokenizer(new NucleotideTokenizer.Options(1, false, AmbiguityRule.TOKEN,
        true));
    PackedChunk p = new Packer(dna, 2048, new SplitHash(7, 0.3)).pack(ID, units);
    java.util.Map<Split, java.util.Set<String>> documents = new java.util.EnumMap<>(Split.class);
    for (int i = 0; i < p.sequences(); i++) { // one row per split: the whole stream fits in 2,048 tokens
      int[] row = p.sequence(i);
      int from = 0;
      for (int t = 0; t < p.nTokens(i); t++) {
        if (row[t] == dna.eosId()) {
          documents.computeIfAbsent(p.split(i), k -> new java.util.HashSet<>()).add(dna.decode(row, from, t));
          from = t + 1;
        }
      }
    }
    assertTrue(documents.containsKey(Split.TRAIN) && documents.containsKey(Split.VALIDATION), "both splits in use");
    for (int w = 0; w < units.size(); w += 2) {
      String forward = new String(units.get(w).bytes(), StandardCharsets.US_ASCII);
      String reverse = new String(NucleotideTokenizer.reverseComplement(units.get(w).bytes(), 0, 16),
          StandardCharsets.US_ASCII);
      assertEquals(reverse, new String(units.get(w + 1).bytes(), StandardCharsets.US_ASCII));
      for (Split split : documents.keySet()) {
        assertEquals(documents.get(split).contains(forward), documents.get(split).contains(reverse),
            "window at " + units.get(w).offset() + " and its reverse complement in " + split);
      }
    }
  }

  /** A reader's own split (time series: by time) wins over the hash. */
  @Test
  void theReadersSplitWins() {
    DocLine late = doc(5, "xyz").inSplit(Split.VALIDATION);
    PackedChunk p = packer(4, 0).pack(ID, List.of(doc(0, "abc"), late));
    assertEquals(2, p.sequences());
    assertEquals(Split.TRAIN, p.split(0));
    assertArrayEquals(new int[] {'a', 'b', 'c', EOS, PAD}, p.sequence(0));
    assertEquals(Split.VALIDATION, p.split(1));
    assertArrayEquals(new int[] {'x', 'y', 'z', EOS, PAD}, p.sequence(1));
  }

  @Test
  void splitAssignmentIsAStableHash() {
    SplitHash h = new SplitHash(1, 0.05);
    long validation = IntStream.range(0, 200_000).filter(i -> h.split(3, i) == Split.VALIDATION).count();
    assertTrue(validation > 9_400 && validation < 10_600, "about 5%: " + validation);
    assertEquals(h.split(2, 77), new SplitHash(1, 0.05).split(2, 77));
    List<Split> a = IntStream.range(0, 1000).mapToObj(i -> h.split(0, i)).toList();
    List<Split> b = IntStream.range(0, 1000).mapToObj(i -> new SplitHash(2, 0.05).split(0, i)).toList();
    assertNotEquals(a, b, "the seed changes the assignment");
    List<Split> otherFile = IntStream.range(0, 1000).mapToObj(i -> h.split(1, i)).toList();
    assertNotEquals(a, otherFile);
    assertTrue(IntStream.range(0, 1000).allMatch(i -> new SplitHash(1, 0).split(0, i) == Split.TRAIN));
  }
}
