package dev.sparseattn.trainer.train;

import dev.sparseattn.datasets.config.ConfigError;
import dev.sparseattn.datasets.config.Section;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import dev.sparseattn.trainer.model.network.TransformerConfig.Positions;
import dev.sparseattn.trainer.model.network.TransformerConfig.Residual;
import dev.sparseattn.trainer.model.attention.AttentionSpec;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The model as the user configures it ({@code train.model}). Vocabulary size and context length are
 * not here: they come from the dataset's manifest, so a model always matches the shards it trains on
 * ({@link #architecture}).
 *
 * <pre>
 * model {
 *   d-model = 256, heads = 4, layers = 12, ffn-hidden = 1024
 *   attention = [ { kind = sliding-window, window = 256 }, { kind = lsh, buckets = 64, chunk = 128 } ]  # repeated
 *   residual = reversible        # standard | reversible (RevNet blocks: memory flat in depth)
 *   positions = axial            # learned | axial | rotary (RoPE: no table, decodes past seq-len)
 *   axial-shape = [64, 64]       # factors of the sequence length; default: two near its square root
 *   tied-embeddings = true       # output projection = token table transposed
 *   ffn-chunk = 1024             # rows per feed-forward chunk, 0 = whole sequence
 *   loss-chunk = 1024            # rows per output-projection + loss chunk, 0 = whole sequence
 *   dropout = 0.1                # on each residual branch while training
 * }
 * </pre>
 *
 * @param dModel width of the residual stream
 * @param heads attention heads (must divide {@code dModel})
 * @param layers transformer blocks
 * @param ffnHidden hidden width of each feed-forward block
 * @param attention attention pattern: empty for dense causal, one for every layer, or one per layer (a
 *     configured cycle of patterns, e.g. local then LSH, is repeated over the layers)
 * @param residual standard or reversible blocks
 * @param positions learned or axial position embeddings, or rotary positions in the attention
 * @param axialShape axial factors; empty for the default factorisation of the sequence length
 * @param tiedEmbeddings whether the output projection is the token table transposed
 * @param ffnChunk feed-forward rows per chunk, 0 for all
 * @param lossChunk loss rows per chunk, 0 for all
 * @param dropout residual-branch dropout rate while training
 */
public record ModelShape(int dModel, int heads, int layers, int ffnHidden, List<AttentionSpec> attention,
                         Residual residual, Positions positions, List<Integer> axialShape,
                         boolean tiedEmbeddings, int ffnChunk, int lossChunk, double dropout) {

  static ModelShape parse(Section s) {
    int d = s.integer("d-model", 128, 8, 65_536);
    int h = s.integer("heads", 4, 1, 1024);
    s.check(d % h == 0, "heads", "must divide model.d-model (" + d + "), got " + h);
    int layers = s.integer("layers", 2, 1, 1024);
    int ffn = s.integer("ffn-hidden", 4 * d, 1, 1 << 20);
    List<AttentionSpec> cycle = s.sections("attention").stream().map(AttentionConfig::parse).toList();
    s.check(cycle.size() <= 1 || layers % cycle.size() == 0, "attention",
        "needs one pattern for all layers, one per layer, or a cycle whose length divides model.layers ("
            + layers + "), got " + cycle.size());
    List<AttentionSpec> attention = cycle.size() <= 1 ? cycle
        : IntStream.range(0, layers).mapToObj(i -> cycle.get(i % cycle.size())).toList();
    for (AttentionSpec a : attention) {
      s.check(a.dilations().size() <= 1 || a.dilations().size() == h, "attention",
          "dilations need one value or one per head (" + h + "), got " + a.dilations());
    }
    Residual residual = s.choice("residual", Residual.class, Residual.STANDARD);
    Positions positions = s.choice("positions", Positions.class, Positions.LEARNED);
    s.check(positions != Positions.ROTARY || h < 1 || d % h != 0 || (d / h) % 2 == 0, "positions",
        "rotary needs an even head width (d-model / heads), got " + (h < 1 ? 0 : d / h));
    List<Integer> axial = s.integers("axial-shape", List.of());
    s.check(axial.isEmpty() || positions == Positions.AXIAL, "axial-shape", "needs model.positions = axial");
    s.check(axial.isEmpty() || axial.size() >= 2 && axial.stream().allMatch(f -> f >= 1), "axial-shape",
        "needs two or more factors >= 1, got " + axial);
    s.check(axial.size() <= d, "axial-shape", "has more factors than model.d-model (" + d + ")");
    boolean tied = s.bool("tied-embeddings", false);
    int ffnChunk = s.integer("ffn-chunk", 0, 0, Integer.MAX_VALUE);
    int lossChunk = s.integer("loss-chunk", 0, 0, Integer.MAX_VALUE);
    double dropout = s.number("dropout", 0.0, 0.0, 0.99);
    return new ModelShape(d, h, layers, ffn, attention, residual, positions, axial, tied, ffnChunk, lossChunk,
        dropout);
  }

  /**
   * The architecture for a dataset of this vocabulary and context length, seeded with {@code seed}.
   *
   * @throws ConfigError naming {@code train.model.axial-shape} if its factors do not multiply to {@code seqLen}
   */
  public TransformerConfig architecture(int vocabSize, int seqLen, long seed) {
    List<Integer> shape = positions != Positions.AXIAL ? List.of()
        : axialShape.isEmpty() ? defaultAxialShape(seqLen) : axialShape;
    long product = shape.stream().mapToLong(Integer::longValue).reduce(1, (a, b) -> a * b);
    if (positions == Positions.AXIAL && product != seqLen) {
      throw new ConfigError("train.model.axial-shape",
          "factors " + shape + " multiply to " + product + ", not to the dataset's seq-len " + seqLen);
    }
    return new TransformerConfig(vocabSize, seqLen, dModel, heads, layers, ffnHidden, seed, attention, residual,
        positions, shape, tiedEmbeddings, ffnChunk, lossChunk, dropout);
  }

  /** Two factors of {@code n}, the smaller as close to its square root as divisibility allows. */
  static List<Integer> defaultAxialShape(int n) {
    int a = (int) Math.floor(Math.sqrt(n));
    while (n % a != 0) {
      a--;
    }
    return List.of(a, n / a);
  }
}
