package dev.sparseattn.trainer.train;

import dev.sparseattn.datasets.config.Cli;
import dev.sparseattn.datasets.fs.HadoopPaths;
import dev.sparseattn.datasets.manifest.PreparedDataset;
import dev.sparseattn.trainer.runtime.NativeThreads;
import org.apache.hadoop.conf.Configuration;

/**
 * The {@code train} job: trains a transformer language model on one machine from the shards a
 * {@code PrepareCorpus} run wrote, and saves into {@code train.output}: {@code model.zip} (network,
 * architecture), {@code tokenizer.json}, {@code train.conf} (the resolved configuration),
 * {@code metrics.jsonl}, {@code loss.png} and {@code summary.json}.
 *
 * <p>Usage: {@code Train <config-file> [key=value ...]}, e.g. {@code Train conf/quickstart.conf train.steps=50}.
 */
public final class Train {
  private Train() {}

  public static void main(String[] args) {
    NativeThreads.passiveWait();
    Cli.main("train", args, TrainConfig::parse, Train::run);
  }

  /** Runs the job with a validated configuration. */
  public static TrainedModel run(TrainConfig config) throws Exception {
    Configuration hadoop = new Configuration();
    PreparedDataset data = PreparedDataset.open(HadoopPaths.resolve(config.data()), hadoop);
    return TrainingRun.execute("train", config, data, hadoop, config.resolved().render(),
        config.resolved().values(),
        m -> "Training loss (" + m.config().nLayers() + " layers, d=" + m.config().dModel() + ")",
        (metrics, checkpoints) -> new LocalTrainer(config, System.out).train(data, metrics, checkpoints));
  }
}
