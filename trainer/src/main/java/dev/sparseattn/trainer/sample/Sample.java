package dev.sparseattn.trainer.sample;

import dev.sparseattn.datasets.config.Cli;
import dev.sparseattn.datasets.fs.HadoopPaths;
import dev.sparseattn.datasets.tokenize.Tokenizer;
import dev.sparseattn.datasets.tokenize.Tokenizers;
import dev.sparseattn.trainer.generate.TokenSampler;
import dev.sparseattn.trainer.io.ModelArchive;
import dev.sparseattn.trainer.io.ModelDirectory;
import dev.sparseattn.trainer.model.TransformerLM;
import java.io.File;
import java.util.Arrays;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;

/**
 * The {@code sample} job: loads a model saved by the train job and continues a prompt.
 *
 * <p>Usage: {@code Sample <config-file> [key=value ...]}, e.g.
 * {@code Sample conf/quickstart.conf 'sample.prompt="In the beginning"'}.
 */
public final class Sample {
  private Sample() {}

  public static void main(String[] args) {
    Cli.main("sample", args, SampleConfig::parse, c -> System.out.println(run(c)));
  }

  /** Returns the prompt followed by the generated continuation. */
  public static String run(SampleConfig config) throws Exception {
    ModelDirectory dir = ModelDirectory.openExisting(HadoopPaths.resolve(config.model()), new Configuration());
    File zip = dir.fetch("model.zip");
    // the zip carries its tokenizer; models saved before it did have only the directory's tokenizer.json
    Map<String, Object> stored = ModelArchive.readTokenizer(zip).orElse(null);
    Tokenizer tokenizer = Tokenizers.fromDescription(stored != null ? stored : dir.readJson("tokenizer.json"));
    TransformerLM.Loaded model = TransformerLM.load(zip, false);
    // The prompt starts a new document, so it follows an end-of-document id, as in training.
    int[] prompt = tokenizer.encode(config.prompt());
    int[] ids = new int[1 + prompt.length + config.maxNewTokens()];
    ids[0] = tokenizer.eosId();
    System.arraycopy(prompt, 0, ids, 1, prompt.length);
    TokenSampler sampler = new TokenSampler(config.temperature(), config.topK(), config.seed());
    int n = 1 + prompt.length;
    for (int i = 0; i < config.maxNewTokens(); i++) {
      double[] logProbs = TransformerLM.nextTokenLogProbs(model.network(), Arrays.copyOf(ids, n));
      ids[n++] = sampler.next(logProbs, tokenizer.padId());
    }
    return tokenizer.decode(ids, 1, n);
  }
}
