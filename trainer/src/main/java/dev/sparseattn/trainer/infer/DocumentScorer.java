package dev.sparseattn.trainer.infer;

import dev.sparseattn.datasets.tokenize.Tokenizer;
import dev.sparseattn.trainer.eval.RowUnits;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Scores raw documents (text, or a DNA sequence) with the model's own tokenizer, batched: a document becomes
 * {@code EOS + ids} (the EOS is the context a document starts from in packed training data, so every one of its tokens
 * is scored) cut into windows of at most {@code seqLen + 1} ids with stride {@code seqLen}, the borrowed network's
 * length (as the prepare job packs rows: consecutive windows share one token); the windows of several documents
 * share forward passes, each batch padded only to its longest window. A document's bits are the sum over its windows;
 * its units are its bytes or bases ({@link RowUnits}); its embedding averages the final hidden states over every
 * input position of its windows (the ids with a target: all of {@code EOS + ids} but the last), and {@code last} is
 * the state at the last of them.
 */
public final class DocumentScorer {
  private DocumentScorer() {}

  /**
   * A document's result: values, or a reason it could not be scored (the values then null). {@code units} are its
   * bytes or bases (null without units, e.g. time series); {@code positions} the input positions its embedding
   * averages (null unless embedded).
   */
  public record Outcome(Integer tokens, Double bits, Double bitsPerUnit, float[] mean, float[] last, String reason,
                        Long units, Integer positions) {
    static Outcome rejected(String reason) {
      return new Outcome(null, null, null, null, null, reason, null, null);
    }
  }

  /** A window of a document: its ids, and how many of its first targets are context only (scored by the previous). */
  private record Window(int doc, int[] ids, int contextTargets) {}

  /**
   * Scores {@code docs} (null entries are rejected) in batches of {@code batchSize} windows of {@code window} tokens
   * (0: the model's training length; longer only for a length-free model, see {@link ModelFit#windowProblem}) with a
   * network of {@code model} borrowed from this JVM's {@link ModelCache}.
   */
  public static List<Outcome> score(ModelRef model, List<String> docs, int batchSize, int window, boolean embed) {
    try (ModelCache.Lease lease = ModelCache.borrow(model, window)) {
      return score(lease, docs, batchSize, 0, embed);
    }
  }

  /**
   * Scores {@code docs} (null entries are rejected) in batches of {@code batchSize} windows. With {@code stride} in
   * {@code [1, seqLen)} the windows overlap: they start every {@code stride} tokens, and each target is scored once, by
   * the first window that reaches it, which has given it at least {@code seqLen - stride} tokens of context (Hugging
   * Face's strided perplexity); 0 cuts the document into disjoint windows. Embeddings take disjoint windows only.
   */
  static List<Outcome> score(ModelCache.Lease lease, List<String> docs, int batchSize, int stride, boolean embed) {
    Tokenizer tok = lease.tokenizer();
    RowUnits units = unitsOf(tok);
    int seqLen = lease.config().seqLen();
    if (stride < 0 || stride >= seqLen || stride > 0 && embed) {
      throw new IllegalArgumentException("stride " + stride + " for windows of " + seqLen + " tokens"
          + (embed ? " (embeddings take disjoint windows: stride 0)" : ": must be in [0, " + seqLen + ")"));
    }
    int step = stride == 0 ? seqLen : stride;
    String[] reasons = new String[docs.size()];
    long[] unitCount = new long[docs.size()];
    List<Window> windows = new ArrayList<>();
    for (int i = 0; i < docs.size(); i++) {
      String doc = docs.get(i);
      if (doc == null) {
        reasons[i] = "null: no input";
        continue;
      }
      byte[] utf8 = doc.getBytes(StandardCharsets.UTF_8);
      String reason = tok.reject(utf8, 0, utf8.length);
      int[] ids = reason == null ? tok.encodeUtf8(utf8) : null;
      if (reason == null && ids.length == 0) {
        reason = "empty: no tokens";
      }
      if (reason != null) {
        reasons[i] = reason;
        continue;
      }
      int[] all = new int[ids.length + 1];
      all[0] = tok.eosId();
      System.arraycopy(ids, 0, all, 1, ids.length);
      if (units != null) {
        RowUnits.Decoded d = units.decode(all, all.length);
        unitCount[i] = d.units().length - d.context();
      }
      for (int start = 0; ; start += step) {
        int end = Math.min(all.length, start + seqLen + 1);
        windows.add(new Window(i, Arrays.copyOfRange(all, start, end), start == 0 ? 0 : seqLen - step));
        if (end == all.length) {
          break;
        }
      }
    }
    double[] bits = new double[docs.size()];
    int[] tokens = new int[docs.size()];
    int d = lease.config().dModel();
    double[][] sum = embed ? new double[docs.size()][] : null;
    int[] positions = new int[docs.size()];
    float[][] last = new float[docs.size()][];
    for (int from = 0; from < windows.size(); from += batchSize) {
      List<Window> batch = windows.subList(from, Math.min(windows.size(), from + batchSize));
      int width = batch.stream().mapToInt(w -> w.ids().length).max().orElseThrow();
      int[][] rows = new int[batch.size()][];
      int[] n = new int[batch.size()];
      for (int b = 0; b < batch.size(); b++) {
        rows[b] = Arrays.copyOf(batch.get(b).ids(), width);
        Arrays.fill(rows[b], batch.get(b).ids().length, width, tok.padId());
        n[b] = batch.get(b).ids().length;
      }
      float[][] t = RowScorer.targetBits(lease.net(), lease.config(), rows, null, n, tok.padId());
      RowScorer.Embedding[] e = null;
      if (embed) {
        // a window's input positions are those with a target (all its ids but the last, which the next window, if
        // any, reads): so a document's positions do not depend on the width its batch is padded to
        int[] inputs = new int[n.length];
        for (int b = 0; b < n.length; b++) {
          inputs[b] = n[b] - 1;
        }
        e = RowScorer.embed(lease.net(), lease.config(), rows, null, inputs, tok.padId());
      }
      for (int b = 0; b < batch.size(); b++) {
        int doc = batch.get(b).doc();
        float[] scored = Arrays.copyOfRange(t[b], batch.get(b).contextTargets(), t[b].length);
        bits[doc] += RowScorer.sumBits(scored);
        tokens[doc] += scored.length;
        if (embed) {
          if (sum[doc] == null) {
            sum[doc] = new double[d];
          }
          for (int k = 0; k < d; k++) {
            sum[doc][k] += (double) e[b].mean()[k] * e[b].positions();
          }
          positions[doc] += e[b].positions();
          last[doc] = e[b].last();
        }
      }
    }
    List<Outcome> out = new ArrayList<>(docs.size());
    for (int i = 0; i < docs.size(); i++) {
      if (reasons[i] != null) {
        out.add(Outcome.rejected(reasons[i]));
        continue;
      }
      float[] mean = null;
      if (embed) {
        mean = new float[d];
        for (int k = 0; k < d; k++) {
          mean[k] = (float) (sum[i][k] / positions[i]);
        }
      }
      Double perUnit = units == null || unitCount[i] == 0 ? null : bits[i] / unitCount[i];
      out.add(new Outcome(tokens[i], bits[i], perUnit, mean, last[i], null, units == null ? null : unitCount[i],
          embed ? positions[i] : null));
    }
    return out;
  }

  private static RowUnits unitsOf(Tokenizer tok) {
    try {
      return RowUnits.of(tok);
    } catch (RuntimeException e) {
      return null;                                      // time series: no byte or base units
    }
  }
}
