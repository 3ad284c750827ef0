package dev.sparseattn.trainer.eval;

import dev.sparseattn.datasets.config.Cli;
import dev.sparseattn.datasets.config.ConfigError;
import dev.sparseattn.datasets.config.DataError;
import dev.sparseattn.datasets.fs.HadoopPaths;
import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.datasets.tokenize.TimeSeriesTokenizer;
import dev.sparseattn.datasets.tokenize.Tokenizer;
import dev.sparseattn.trainer.eval.series.SeriesEvaluate;
import dev.sparseattn.trainer.eval.series.SeriesEvaluation;
import dev.sparseattn.trainer.io.ModelArchive;
import dev.sparseattn.trainer.io.ModelDirectory;
import dev.sparseattn.trainer.io.Provenance;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.runtime.NativeThreads;
import dev.sparseattn.trainer.train.Evaluator;
import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;

/**
 * The {@code evaluate} job: a trained model's held-out bits per byte (text) or per base (DNA) next to
 * the baselines it must beat ({@link Baselines}), written to {@code evaluate.output} as
 * {@code evaluation.json}, {@code evaluation.md} (a markdown table) and {@code evaluate.conf}.
 *
 * <p>The held-out data are the rows of the split {@code evaluate.split} ({@code validation} by default, or
 * {@code test}: written by the prepare job with {@code prepare.test-fraction} or {@code prepare.test-period}) in
 * seq_id order (up to {@code max-bytes} units,
 * whole rows); the model and every baseline are scored on exactly the same target units, the model
 * by {@link Evaluator} (its total bits over the decoded units, see {@link RowUnits}).
 *
 * <p>A time-series dataset is evaluated by forecasting instead ({@link #runSeries}; {@link #main} chooses).
 *
 * <p>Usage: {@code Evaluate <config-file> [key=value ...]}, e.g.
 * {@code Evaluate conf/quickstart.conf evaluate.model=work/quickstart/model}.
 */
public final class Evaluate {
  private Evaluate() {}

  public static void main(String[] args) {
    NativeThreads.passiveWait();
    Cli.main("evaluate", args, EvaluateConfig::parse, c -> System.out.print(report(c)));
  }

  /**
   * Runs the job on any dataset and returns its markdown: {@link #run} for text and DNA, {@link #runSeries} for a
   * time-series dataset.
   */
  public static String report(EvaluateConfig config) throws Exception {
    PreparedDataset data = PreparedDataset.open(HadoopPaths.resolve(config.data()), new Configuration());
    return data.tokenizer() instanceof TimeSeriesTokenizer ? runSeries(config).toMarkdown()
        : run(config).toMarkdown();
  }

  /**
   * Runs the job on a time-series dataset: rolling-origin forecasts of its held-out period by the model and the
   * baselines ({@link SeriesEvaluate}), written as {@code evaluation.json}, {@code evaluation.md}, fan charts
   * {@code fan-<variable>.png} and {@code evaluate.conf}.
   */
  public static SeriesEvaluation runSeries(EvaluateConfig config) throws Exception {
    Configuration hadoop = new Configuration();
    PreparedDataset data = PreparedDataset.open(HadoopPaths.resolve(config.data()), hadoop);
    if (!(data.tokenizer() instanceof TimeSeriesTokenizer)) {
      throw new DataError("dataset " + data.dir() + " is not a time-series dataset (tokenizer '"
          + data.tokenizer().name() + "')");
    }
    File zip = config.model().isEmpty() ? null : modelZip(config.model(), hadoop);
    TransformerLM.Loaded model = zip == null ? null : loadModel(zip, config.model(), data);
    ModelDirectory out = ModelDirectory.create(HadoopPaths.resolve(config.output()), config.overwrite(), hadoop);
    SeriesEvaluation evaluation = SeriesEvaluate.run(data, model, config.forecast(), config.split(), out);
    out.writeJson("evaluation.json", evaluation.toJson());
    out.writeText("evaluation.md", evaluation.toMarkdown());
    out.writeText("evaluate.conf", config.resolved().render());
    return evaluation;
  }

  /** Runs the job with a validated configuration. */
  public static Evaluation run(EvaluateConfig config) throws Exception {
    Configuration hadoop = new Configuration();
    PreparedDataset data = PreparedDataset.open(HadoopPaths.resolve(config.data()), hadoop);
    Tokenizer tokenizer = data.tokenizer();
    RowUnits units = RowUnits.of(tokenizer);
    Alphabet alphabet = units.alphabet();
    List<Integer> orders = config.ordersFor(alphabet);
    int limit = MarkovModel.maxOrderFor(alphabet.size());
    for (int o : orders) {
      if (o > limit) {
        throw new ConfigError("evaluate.markov-orders", "order " + o + " exceeds " + limit
            + ", the highest for " + alphabet.size() + " " + alphabet.unit() + " symbols");
      }
    }
    requireSplit(data, config.split());
    File zip = config.model().isEmpty() ? null : modelZip(config.model(), hadoop);
    TransformerLM.Loaded model = zip == null ? null : loadModel(zip, config.model(), data);
    ModelDirectory out = ModelDirectory.create(HadoopPaths.resolve(config.output()), config.overwrite(), hadoop);

    Split split = config.split();
    UnitCorpus heldOut = UnitCorpus.read(data, split, units, config.maxBytes());
    UnitCorpus train = UnitCorpus.read(data, Split.TRAIN, units, config.maxTrainBytes());
    if (heldOut.targetUnits() == 0 || train.units().length == 0) {
      throw new DataError("dataset " + data.dir() + " needs non-empty train and " + split + " splits");
    }
    List<Score> scores = new ArrayList<>();
    double bitsPerToken = Double.NaN;
    if (model != null) {
      Evaluator.Result r = new Evaluator(data, config.batchSize(), heldOut.rows(), trainedWithDocumentMask(zip))
          .evaluate(model.network(), model.config(), split);
      if (r.tokens() != heldOut.targetTokens()) {
        throw new IllegalStateException("the model was scored on " + r.tokens() + " tokens, the baselines on "
            + heldOut.targetTokens());
      }
      bitsPerToken = r.bitsPerToken();
      scores.add(new Score("model (" + describe(model.config()) + ")", "model", -1,
          r.bitsPerToken() * r.tokens() / heldOut.targetUnits()));
    }
    scores.addAll(Baselines.compute(train, heldOut, alphabet, orders));
    Evaluation evaluation = new Evaluation(data.dir().toString(), tokenizer.name(), alphabet.unit(), split.id(),
        heldOut.targetUnits(), heldOut.rows(), heldOut.complete(), train.units().length, train.complete(),
        bitsPerToken, scores);
    out.writeJson("evaluation.json", evaluation.toJson());
    out.writeText("evaluation.md", evaluation.toMarkdown());
    out.writeText("evaluate.conf", config.resolved().render());
    return evaluation;
  }

  /**
   * Refuses, naming {@code evaluate.split}, a held-out split the dataset lacks or holds no rows of (a dataset
   * prepared without {@code prepare.test-fraction} or {@code prepare.test-period} has no test rows).
   */
  static void requireSplit(PreparedDataset data, Split split) {
    boolean present = data.manifest().splits().containsKey(split.id());
    if (!present || data.manifest().split(split).sequences() == 0) {
      throw new ConfigError("evaluate.split", "the dataset " + data.dir() + " has no " + split + " rows"
          + (split == Split.TEST ? ": prepare it with prepare.test-fraction > 0 (by document) or prepare.test-period"
              + " > 0 (csv, by time)" : "") + (present ? "" : " (its manifest has no '" + split + "' split)"));
    }
  }

  /** The model's {@code model.zip}, fetched to a local file. */
  private static File modelZip(String location, Configuration hadoop) throws Exception {
    String uri = HadoopPaths.resolve(location);
    return uri.endsWith(".zip")
        ? ModelDirectory.openExisting(uri.substring(0, uri.lastIndexOf('/')), hadoop)
            .fetch(uri.substring(uri.lastIndexOf('/') + 1))
        : ModelDirectory.openExisting(uri, hadoop).fetch("model.zip");
  }

  /**
   * Whether the model was trained with the document mask ({@code train.document-mask} in its provenance), so that
   * it is evaluated as it was trained: true by default; false for a model whose training configuration predates the
   * key (it attended across documents). A model without provenance gets the default.
   */
  public static boolean trainedWithDocumentMask(File zip) throws IOException {
    Optional<Provenance> p = ModelArchive.readProvenance(zip);
    if (p.isEmpty()) {
      return true;
    }
    Map<String, Object> train = p.get().config();                 // the resolved train section
    Object flag = train.get("document-mask");
    return flag != null && Boolean.parseBoolean(flag.toString());
  }

  private static TransformerLM.Loaded loadModel(File zip, String location, PreparedDataset data) throws Exception {
    Tokenizer tokenizer = data.tokenizer();
    TransformerLM.Loaded model = TransformerLM.load(zip, false);
    if (model.config().vocabSize() != tokenizer.vocabSize()) {
      throw new DataError("model " + location + " has a vocabulary of " + model.config().vocabSize()
          + " ids but the dataset's tokenizer '" + tokenizer.name() + "' has " + tokenizer.vocabSize());
    }
    int rows = data.manifest().seqLen();
    if (model.config().seqLen() < rows) {
      if (!TransformerLM.lengthFree(model.config())) {
        throw new DataError("model " + location + " reads " + model.config().seqLen() + " tokens but the dataset's"
            + " rows hold " + rows + " (" + TransformerLM.LONGER_ROWS + ")");
      }
      System.out.printf("evaluate: the model was trained on rows of %d tokens; with rotary positions and causal"
          + " sliding windows it reads the dataset's rows of %d whole%n", model.config().seqLen(), rows);
      return TransformerLM.atLength(model, rows);
    }
    return model;
  }

  private static String describe(TransformerConfig c) {
    return c.nLayers() + " layers, d " + c.dModel() + ", " + c.nHeads() + " heads";
  }
}
