package dev.sparseattn.trainer.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.config.JobArgs;
import dev.sparseattn.datasets.manifest.InputInfo;
import dev.sparseattn.datasets.manifest.Manifest;
import dev.sparseattn.datasets.manifest.ShardInfo;
import dev.sparseattn.datasets.manifest.SplitInfo;
import dev.sparseattn.datasets.shard.FileDigest;
import dev.sparseattn.datasets.shard.ShardWriter;
import dev.sparseattn.datasets.tokenize.AmbiguityRule;
import dev.sparseattn.datasets.tokenize.NucleotideTokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The evaluate job's baselines on k-mer tokenised DNA: figures per base, whatever the tokenisation. */
class EvaluateGenomeTest {
  @TempDir Path tmp;

  /** A DNA sequence from an order-2 source, so that context helps. */
  static String genome(int n) {
    Random rnd = new Random(4);
    StringBuilder s = new StringBuilder("AC");
    while (s.length() < n) {
      int a = "ACGT".indexOf(s.charAt(s.length() - 2));
      int b = "ACGT".indexOf(s.charAt(s.length() - 1));
      s.append(rnd.nextDouble() < 0.7 ? "ACGT".charAt((a * 3 + b + 1) % 4) : "ACGT".charAt(rnd.nextInt(4)));
    }
    return s.toString();
  }

  /** One document of windows, rows of seqLen + 1 ids with stride seqLen, every 5th row held out. */
  static void write(Path dir, NucleotideTokenizer tok, String dna, int seqLen) throws Exception {
    int[] ids = tok.encode(dna);
    int[] stream = Arrays.copyOf(ids, ids.length + 1);
    stream[ids.length] = tok.eosId();
    List<int[]> train = new ArrayList<>();
    List<int[]> validation = new ArrayList<>();
    for (int start = 0, i = 0; start < stream.length - 1; start += seqLen, i++) {
      int[] row = new int[seqLen + 1];
      Arrays.fill(row, tok.padId());
      System.arraycopy(stream, start, row, 0, Math.min(seqLen + 1, stream.length - start));
      (i % 5 == 4 ? validation : train).add(row);
    }
    Configuration conf = new Configuration();
    Map<String, SplitInfo> splits = Map.of("train", split(dir, "train", train, tok, seqLen, conf),
        "validation", split(dir, "validation", validation, tok, seqLen, conf));
    new Manifest(Manifest.SCHEMA_VERSION, "EvaluateGenomeTest", tok.describe(), seqLen, "window", 1,
        dna.length(), stream.length, 1, List.of(new InputInfo("memory", 1, dna.length())), splits, Map.of())
        .write(dir.toUri().toString(), conf);
  }

  private static SplitInfo split(Path dir, String name, List<int[]> rows, NucleotideTokenizer tok, int seqLen,
                                 Configuration conf) throws Exception {
    String shard = name + "/shard-00000.parquet";
    org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(dir.toUri().toString(), shard);
    long[] histogram = new long[tok.vocabSize()];
    long tokens = 0;
    try (ShardWriter w = ShardWriter.create(file, conf, seqLen + 1)) {
      for (int i = 0; i < rows.size(); i++) {
        int n = (int) Arrays.stream(rows.get(i)).filter(id -> id != tok.padId()).count();
        Arrays.stream(rows.get(i), 0, n).forEach(id -> histogram[id]++);
        tokens += n;
        w.write(i, rows.get(i), n);
      }
    }
    long size = file.getFileSystem(conf).getFileStatus(file).getLen();
    return new SplitInfo(rows.size(), rows.size(), tokens,
        List.of(new ShardInfo(shard, rows.size(), size, FileDigest.sha256(file, conf), 0)), histogram);
  }

  private Evaluation evaluate(int k, boolean overlapping) throws Exception {
    Path data = tmp.resolve("k" + k + overlapping);
    NucleotideTokenizer tok = new NucleotideTokenizer(new NucleotideTokenizer.Options(k, overlapping, AmbiguityRule.TOKEN, true));
    write(data, tok, genome(20_000), 64);
    return Evaluate.run(EvaluateConfig.parse(JobArgs.parseOverrides(List.of(
        "evaluate.data=\"" + data.toUri() + "\"", "evaluate.output=\"" + tmp.resolve("out-" + k + overlapping) + "\"",
        "evaluate.markov-orders=[0,2,4]"))));
  }

  @Test
  void bitsPerBaseDoNotDependOnTheKmerMode() throws Exception {
    Evaluation single = evaluate(1, false);
    assertEquals("base", single.unit());
    assertTrue(single.heldOutUnits() > 3_500);
    for (Evaluation e : List.of(evaluate(3, false), evaluate(4, true))) {
      assertEquals("base", e.unit());
      // every mode decodes rows to bases and scores them; rows differ (64 tokens hold 64, 192 or 256 bases)
      for (int i = 0; i < e.scores().size(); i++) {
        Score s = e.scores().get(i);
        assertEquals(single.scores().get(i).method(), s.method());
        assertEquals(single.scores().get(i).bitsPerUnit(), s.bitsPerUnit(), 0.08, s.method());
      }
    }
    // the order-2 source: order 2 and above approach its entropy (0.7 + 0.3/4 on one base, ~1.2 bits)
    double order0 = single.scores().get(1).bitsPerUnit();
    double order2 = single.scores().get(2).bitsPerUnit();
    assertTrue(order0 > 1.95 && order0 < 2.05, "order 0: " + order0);
    assertTrue(order2 > 1.1 && order2 < 1.35, "order 2: " + order2);
    assertTrue(single.toMarkdown().contains("| method | bits per base |"));
  }
}
