package dev.sparseattn.trainer.infer;

import dev.sparseattn.datasets.config.Cli;
import dev.sparseattn.trainer.runtime.NativeThreads;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The {@code embed} job: a fixed-size vector per sequence of a prepared dataset's split, on a Spark cluster, written
 * to {@code embed.output}:
 * <pre>
 *   embeddings/part-*.parquet  seq_id bigint, shard string, n_positions int,
 *                              mean array&lt;float&gt; [d], last array&lt;float&gt; [d]
 *   quarantine/part-*.json     rows that could not be embedded: seq_id, shard, reason
 *   summary.json               record accounting
 *   embed.conf                 the resolved configuration
 * </pre>
 * {@code mean} averages the final hidden states (after the final LayerNorm) over the row's real input positions,
 * {@code last} is the state at the last of them. Each executor loads the model once ({@link ModelCache}).
 *
 * <p>Usage: {@code Embed <config-file> [key=value ...]}.
 */
public final class Embed {
  private Embed() {}

  public static void main(String[] args) {
    NativeThreads.passiveWait();
    Cli.main("embed", args, EmbedConfig::parse, c -> run(c));
  }

  /** Runs the job, starting Spark (or joining the running session) and stopping it if it started it. */
  public static Map<String, Object> run(EmbedConfig config) throws Exception {
    return InferenceRun.inSession(config.settings().appName(), config.settings().master(),
        spark -> run(config, spark));
  }

  /** Runs the job on a running session and returns the summary it writes. */
  public static Map<String, Object> run(EmbedConfig config, SparkSession spark) throws Exception {
    InferenceSettings s = config.settings();
    InferenceRun.Inputs in = InferenceRun.prepare("embed", s, spark);
    org.apache.spark.api.java.function.FlatMapFunction<java.util.Iterator<String>, Row> pass = s.raw() != null
        ? new RawPass(in.model(), s.raw(), s.batchSize(), s.window(), s.stride(), true)
        : new EmbedPass(in.model(), in.data().dir().toString(), in.data().manifest().seqLen(), s.batchSize());
    InferenceRun.Result r = InferenceRun.execute("embed", s, spark, in, pass, EmbedPass.columns(), "embeddings");
    r.summary().put("dimension", in.model().config().dModel());
    r.out().writeJson("summary.json", r.summary());
    r.out().writeText("embed.conf", config.resolved().render());
    return r.summary();
  }
}
