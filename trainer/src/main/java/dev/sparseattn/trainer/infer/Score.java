package dev.sparseattn.trainer.infer;

import dev.sparseattn.datasets.config.Cli;
import dev.sparseattn.trainer.runtime.NativeThreads;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * The {@code score} job: a trained model's cross-entropy on every sequence of a prepared dataset's split, on a Spark
 * cluster, written to {@code score.output}:
 * <pre>
 *   scores/part-*.parquet   seq_id bigint, shard string, n_tokens int, bits double, bits_per_token double,
 *                           n_units bigint, bits_per_unit double[, token_bits array&lt;float&gt;]
 *   quarantine/part-*.json  rows that could not be scored: seq_id, shard, reason
 *   summary.json            record accounting and dataset totals (bits per token and per unit over all rows)
 *   score.conf              the resolved configuration
 * </pre>
 * Each executor loads the model once ({@link ModelCache}); rows are scored in batches of {@code score.batch-size}.
 *
 * <p>Usage: {@code Score <config-file> [key=value ...]}, e.g. with spark-submit:
 * {@code spark-submit --class dev.sparseattn.trainer.infer.Score app.jar conf.conf score.model=... score.data=...
 * score.output=...}.
 */
public final class Score {
  private Score() {}

  public static void main(String[] args) {
    NativeThreads.passiveWait();
    Cli.main("score", args, ScoreConfig::parse, c -> run(c));
  }

  /** Runs the job, starting Spark (or joining the running session) and stopping it if it started it. */
  public static Map<String, Object> run(ScoreConfig config) throws Exception {
    return InferenceRun.inSession(config.settings().appName(), config.settings().master(),
        spark -> run(config, spark));
  }

  /** Runs the job on a running session (tests, notebooks) and returns the summary it writes. */
  public static Map<String, Object> run(ScoreConfig config, SparkSession spark) throws Exception {
    InferenceSettings s = config.settings();
    InferenceRun.Inputs in = InferenceRun.prepare("score", s, spark);
    org.apache.spark.api.java.function.FlatMapFunction<java.util.Iterator<String>, Row> pass = s.raw() != null
        ? new RawPass(in.model(), s.raw(), s.batchSize(), s.window(), s.stride(), false)
        : new ScorePass(in.model(), in.data().dir().toString(), in.data().manifest().seqLen(), s.batchSize(),
            config.tokenScores());
    InferenceRun.Result r = InferenceRun.execute("score", s, spark, in, pass, ScorePass.columns(config.tokenScores()),
        "scores");
    Row t = r.written().agg(functions.sum("n_tokens"), functions.sum("bits"), functions.sum("n_units")).first();
    long tokens = t.isNullAt(0) ? 0 : t.getLong(0);
    double bits = t.isNullAt(1) ? 0 : t.getDouble(1);
    Map<String, Object> totals = new java.util.LinkedHashMap<>();
    totals.put("tokens", tokens);
    totals.put("bits", bits);
    totals.put("bits_per_token", tokens == 0 ? null : bits / tokens);
    if (!t.isNullAt(2)) {
      long units = t.getLong(2);
      totals.put("units", units);
      totals.put("unit", dev.sparseattn.trainer.eval.RowUnits.of(in.model().tokenizer()).alphabet().unit());
      totals.put("bits_per_unit", units == 0 ? null : bits / units);
    }
    double seconds = (Double) r.summary().get("seconds");
    totals.put("tokens_per_second", tokens / seconds);
    r.summary().put("totals", totals);
    r.out().writeJson("summary.json", r.summary());
    r.out().writeText("score.conf", config.resolved().render());
    return r.summary();
  }
}
