package dev.sparseattn.trainer.eval;

import com.typesafe.config.Config;
import dev.sparseattn.datasets.config.ResolvedConfig;
import dev.sparseattn.datasets.config.Section;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.trainer.eval.series.ForecastKeys;
import java.util.List;

/**
 * Everything the {@code evaluate} job needs, read from the {@code evaluate} section of a job config.
 *
 * @param model a model directory written by the train job or its {@code model.zip}; empty for the
 *     baselines alone
 * @param data the prepared dataset (its held-out split is scored, its train split trains the baselines)
 * @param split the held-out split scored: {@link Split#VALIDATION} (the default) or {@link Split#TEST}
 * @param output directory for {@code evaluation.json}, {@code evaluation.md} and {@code evaluate.conf}
 * @param overwrite whether an existing output directory may be replaced
 * @param markovOrders the Markov orders to report; empty for the default (1-5 for text, 1-8 for DNA)
 * @param maxBytes cap on the held-out target units (bytes or bases) scored, whole rows, 0 for all
 * @param maxTrainBytes cap on the training units the Markov and unigram baselines learn from, 0 for all
 * @param batchSize sequences per model evaluation batch
 * @param forecast how a time-series dataset is forecast (section {@code evaluate.forecast})
 * @param resolved the configuration as read, defaults included
 */
public record EvaluateConfig(String model, String data, Split split, String output, boolean overwrite,
                             List<Integer> markovOrders, long maxBytes, long maxTrainBytes, int batchSize,
                             ForecastKeys forecast, ResolvedConfig resolved) {
  /** Text's default Markov orders. */
  public static final List<Integer> TEXT_ORDERS = List.of(1, 2, 3, 4, 5);
  /** DNA's default Markov orders. */
  public static final List<Integer> DNA_ORDERS = List.of(1, 2, 3, 4, 5, 6, 7, 8);

  /** Reads and validates the {@code evaluate} section; fails with a message naming the key. */
  public static EvaluateConfig parse(Config root) {
    Section s = new Section(root, "evaluate");
    String model = s.string("model", "");
    String data = s.string("data");
    Split split = s.choice("split", Split.class, Split.VALIDATION);
    s.check(split != Split.TRAIN, "split", "must be a held-out split (validation or test), not train");
    String output = s.string("output");
    boolean overwrite = s.bool("overwrite", false);
    List<Integer> orders = s.integers("markov-orders", List.of());
    for (int o : orders) {
      s.check(o >= 0 && o <= 8, "markov-orders", "each order must be in [0, 8], got " + o);
    }
    s.check(orders.stream().distinct().count() == orders.size(), "markov-orders", "lists an order twice: " + orders);
    long maxBytes = s.bytes("max-bytes", 16L << 20, 0, Integer.MAX_VALUE);
    long maxTrainBytes = s.bytes("max-train-bytes", 64L << 20, 0, Integer.MAX_VALUE);
    int batch = s.integer("batch-size", 8, 1, 1 << 12);
    ForecastKeys forecast = ForecastKeys.parse(s);
    s.finish();
    return new EvaluateConfig(model, data, split, output, overwrite, List.copyOf(orders), maxBytes, maxTrainBytes,
        batch, forecast, s.resolved());
  }

  /** The Markov orders for an alphabet: the configured ones, or the domain's default. */
  public List<Integer> ordersFor(Alphabet alphabet) {
    if (!markovOrders.isEmpty()) {
      return markovOrders;
    }
    return alphabet.unit().equals("byte") ? TEXT_ORDERS : DNA_ORDERS;
  }
}
