package dev.sparseattn.trainer.infer;

import com.typesafe.config.Config;
import dev.sparseattn.datasets.config.ResolvedConfig;
import dev.sparseattn.datasets.config.Section;

/**
 * Everything the {@code stream-score} job needs, read from the {@code stream} section.
 *
 * @param model a model directory written by the train job, or its {@code model.zip}
 * @param input directory watched for new text files (one document per line); null with a Kafka source
 * @param output directory of the scored micro-batches ({@code batch_id=<n>/}) and their metrics
 * @param checkpoint the query's checkpoint location (offsets and commits): a restarted query resumes from it
 * @param maxFilesPerTrigger at most this many new files per micro-batch
 * @param batchSize windows per forward pass
 * @param window tokens per window a document is cut into; 0 for the model's training length (a longer one only for a
 *     length-free model, checked before the query starts)
 * @param stopAfterIdleSeconds stop when no new file arrived for this long (0 = run until killed)
 * @param master Spark master, used only when spark-submit or the JVM did not set one
 * @param appName Spark application name
 * @param kafka the Kafka source ({@code stream.source = kafka}, keys {@code stream.kafka.*}), or null for files
 * @param resolved the configuration as read, defaults included
 */
public record StreamScoreConfig(String model, String input, String output, String checkpoint, int maxFilesPerTrigger,
                                int batchSize, int window, int stopAfterIdleSeconds, String master, String appName,
                                KafkaSource kafka, ResolvedConfig resolved) {

  /** Where documents come from (key {@code stream.source}). */
  public enum Source {
    /** New text files in {@code stream.input}, a document per line. */
    FILE,
    /** Records of Kafka topics ({@code stream.kafka}), a document per record value. */
    KAFKA
  }

  /** Reads and validates the {@code stream} section; fails with a message naming the key. */
  public static StreamScoreConfig parse(Config root) {
    Section s = new Section(root, "stream");
    String model = s.string("model");
    Source source = s.choice("source", Source.class, Source.FILE);
    String input = source == Source.FILE ? s.string("input") : s.string("input", "");
    s.check(source == Source.FILE || input.isEmpty(), "input", "is for stream.source = file; the Kafka source reads"
        + " stream.kafka.topics");
    KafkaSource kafka = KafkaSource.parse(s.section("kafka"), source == Source.KAFKA);
    String output = s.string("output");
    String checkpoint = s.string("checkpoint");
    int files = s.integer("max-files-per-trigger", 1, 1, 1 << 20);
    int batch = s.integer("batch-size", 16, 1, 1 << 14);
    int window = s.integer("window", 0, 0, 1 << 24);
    int idle = s.integer("stop-after-idle-seconds", 0, 0, 1 << 24);
    Section spark = s.section("spark");
    String master = spark.string("master", "local[*]");
    String appName = spark.string("app-name", "sparseattn-stream-score");
    s.check(!checkpoint.equals(output), "checkpoint", "must differ from stream.output");
    s.finish();
    return new StreamScoreConfig(model, input.isEmpty() ? null : input, output, checkpoint, files, batch, window, idle,
        master, appName, kafka, s.resolved());
  }
}
