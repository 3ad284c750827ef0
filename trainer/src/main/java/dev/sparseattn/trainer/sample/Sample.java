package dev.sparseattn.trainer.sample;

import dev.sparseattn.datasets.config.Cli;
import dev.sparseattn.datasets.config.ConfigError;
import dev.sparseattn.datasets.fs.HadoopPaths;
import dev.sparseattn.datasets.tokenize.Tokenizer;
import dev.sparseattn.datasets.tokenize.Tokenizers;
import dev.sparseattn.trainer.generate.DecodeEngine;
import dev.sparseattn.trainer.generate.Generator;
import dev.sparseattn.trainer.generate.SinkPositions;
import dev.sparseattn.trainer.io.ModelArchive;
import dev.sparseattn.trainer.io.ModelDirectory;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import dev.sparseattn.trainer.runtime.NativeThreads;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The {@code sample} job: loads a model saved by the train job and continues a prompt (from the config, a file or
 * standard input) on the incremental {@link DecodeEngine}, printing each token's text as it is produced.
 *
 * <p>Usage: {@code Sample <config-file> [key=value ...]}, e.g.
 * {@code Sample conf/quickstart.conf 'sample.prompt="In the beginning"'}.
 */
public final class Sample {
  private Sample() {}

  public static void main(String[] args) {
    NativeThreads.passiveWait();
    Cli.main("sample", args, SampleConfig::parse, c -> run(c, System.out, System.err, System.in));
  }

  /** Returns the prompt followed by the generated continuation (nothing printed). */
  public static String run(SampleConfig config) throws Exception {
    PrintStream none = new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
    return run(config, none, none, InputStream.nullInputStream());
  }

  /**
   * Prints the prompt, then each token's text as it is produced (flushed per token), then a newline; notes (a
   * sliding context) go to {@code notes}. Returns the prompt followed by the continuation.
   */
  public static String run(SampleConfig config, PrintStream out, PrintStream notes, InputStream stdin)
      throws Exception {
    ModelDirectory dir = ModelDirectory.openExisting(HadoopPaths.resolve(config.model()), new Configuration());
    File zip = dir.fetch("model.zip");
    // the zip carries its tokenizer; models saved before it did have only the directory's tokenizer.json
    Map<String, Object> stored = ModelArchive.readTokenizer(zip).orElse(null);
    Tokenizer tokenizer = Tokenizers.fromDescription(stored != null ? stored : dir.readJson("tokenizer.json"));
    TransformerLM.Loaded model = TransformerLM.load(zip, false);
    String prompt = config.prompt() != null ? config.prompt() : readPrompt(config.promptFile(), stdin);
    // the prompt starts a new document, so it follows an end-of-document id, as in training
    int context = tokenizer.encode(prompt).length + 1;
    int wanted = context + config.maxNewTokens();
    TransformerConfig arch = model.config();
    boolean absolute = arch.positions() != TransformerConfig.Positions.ROTARY;
    if (absolute && context > arch.seqLen()) {
      throw new ConfigError("sample.prompt", "holds " + context + " tokens with the start-of-document token, more "
          + "than the model's seq-len " + arch.seqLen() + " (its " + arch.positions().name().toLowerCase()
          + " positions end there)");
    }
    if (absolute && config.overflow() == SampleConfig.Overflow.STREAM) {
      throw new ConfigError("sample.overflow", "stream needs a model with rotary positions (train.model.positions = "
          + "rotary); this model's are " + arch.positions().name().toLowerCase() + " and end at its seq-len "
          + arch.seqLen() + ": use error or slide");
    }
    boolean stream = !absolute && config.overflow() == SampleConfig.Overflow.STREAM;
    if (stream && wanted > arch.seqLen()) {
      notes.println("sample: sample.overflow = stream: past the model's seq-len " + arch.seqLen() + " its global "
          + "tokens act as attention sinks at the distances the last training position saw (StreamingLLM)");
    }
    boolean slide = absolute && wanted > arch.seqLen();
    if (slide && config.overflow() != SampleConfig.Overflow.SLIDE) {
      throw new ConfigError("sample.max-new-tokens", "the prompt (" + context + " tokens with the start-of-document "
          + "token) and " + config.maxNewTokens() + " new tokens need " + wanted + " positions, more than the "
          + "model's seq-len " + arch.seqLen() + " (its " + arch.positions().name().toLowerCase() + " positions end "
          + "there); generate fewer tokens or set sample.overflow = slide");
    }
    if (slide) {
      notes.println("sample: the context exceeds the model's seq-len " + arch.seqLen() + "; sample.overflow = slide: "
          + "whenever it is full, the model continues from the last " + arch.seqLen() / 2 + " tokens");
    }
    int maxLength = absolute ? Math.min(wanted, arch.seqLen()) : wanted;
    StringBuilder text = new StringBuilder(prompt);
    out.print(prompt);
    out.flush();
    try (DecodeEngine engine = new DecodeEngine(model.network(), 1, maxLength,
        stream ? SinkPositions.CAPPED : SinkPositions.STREAM)) {
      new Generator(engine, tokenizer, slide).generate(prompt, config.generation(), e -> {
        text.append(e.text());
        out.print(e.text());
        out.flush();
      });
    }
    out.println();
    out.flush();
    return text.toString();
  }

  private static String readPrompt(String file, InputStream stdin) throws IOException {
    if (file.equals("-")) {
      return new String(stdin.readAllBytes(), StandardCharsets.UTF_8);
    }
    Path path = new Path(HadoopPaths.resolve(file));
    FileSystem fs = path.getFileSystem(new Configuration());
    if (!fs.exists(path)) {
      throw new ConfigError("sample.prompt-file", "no such file: " + path);
    }
    try (InputStream in = fs.open(path)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
