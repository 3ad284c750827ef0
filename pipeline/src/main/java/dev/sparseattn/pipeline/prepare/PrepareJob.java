package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.config.DataError;
import dev.sparseattn.datasets.manifest.Manifest;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.datasets.tokenize.Tokenizer;
import dev.sparseattn.pipeline.DocumentMode;
import dev.sparseattn.pipeline.PrepareConfig;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Spark work of a preparation, in three passes over the chunked documents:
 * <ol>
 *   <li>read documents with their byte offsets and group them by packing chunk (one shuffle);
 *   <li>pack every chunk and collect per-chunk counts to the driver, which numbers the sequences
 *       globally in (file, chunk, index) order and plans the shards ({@link SequenceNumbering});
 *   <li>pack again (the grouped shuffle output is reused), route each sequence to its shard with an
 *       exact partitioner, sort by seq_id within partitions, and write each shard ({@link ShardTask}).
 * </ol>
 * The manifest is written last. Nothing depends on partitioning, block size or file system.
 */
public final class PrepareJob {
  private static final Logger LOG = LoggerFactory.getLogger(PrepareJob.class);

  private PrepareJob() {}

  public static PrepareResult execute(PreparePlan plan, SparkSession spark) throws IOException {
    long start = System.nanoTime();
    PrepareConfig config = plan.config();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Configuration hadoop = jsc.hadoopConfiguration();
    Tokenizer tokenizer = config.tokenizer().create();
    Packer packer = new Packer(tokenizer, config.seqLen(), new SplitHash(config.seed(), config.validationFraction()));

    OutputDir.create(plan.output(), config.resolved().render(), hadoop);
    LOG.info("prepare: {} input file(s) -> {} (document={}, seq-len={}, tokenizer={})", plan.files().size(),
        plan.output(), config.document().name().toLowerCase(Locale.ROOT), config.seqLen(), tokenizer.name());

    JavaPairRDD<ChunkId, DocLine> documents = config.document() == DocumentMode.LINE
        ? LineSource.read(jsc, plan.files(), config.chunkBytes())
        : FileSource.read(jsc, plan.files());
    int partitions = Math.max(jsc.defaultParallelism(), documents.getNumPartitions());
    JavaPairRDD<ChunkId, Iterable<DocLine>> chunks = documents.groupByKey(partitions);

    List<ChunkSummary> summaries = chunks.map(c -> packer.pack(c._1(), c._2()).summary()).collect();
    SequenceNumbering numbering = new SequenceNumbering(summaries, config.rowsPerShard());
    long docs = numbering.sum(ChunkSummary::documents);
    if (docs == 0) {
      throw new DataError("the inputs hold no documents (empty files?): " + config.input());
    }
    LOG.info("prepare: {} documents, {} bytes in {} chunk(s) -> {} train + {} validation sequences;"
        + " writing {} + {} shard(s)", docs, numbering.sum(ChunkSummary::contentBytes), summaries.size(),
        numbering.sequences(Split.TRAIN), numbering.sequences(Split.VALIDATION),
        numbering.shards(Split.TRAIN), numbering.shards(Split.VALIDATION));
    if (numbering.sequences(Split.TRAIN) == 0) {
      LOG.warn("prepare: no training sequences (input too small for validation-fraction {})",
          config.validationFraction());
    }

    Broadcast<Map<ChunkId, long[]>> bases = jsc.broadcast(numbering.bases());
    Broadcast<SerializableConfiguration> conf = jsc.broadcast(new SerializableConfiguration(hadoop));
    ShardPartitioner partitioner = numbering.partitioner();
    List<ShardStats> stats = chunks
        .flatMapToPair(new EmitSequences(packer, bases))
        .repartitionAndSortWithinPartitions(partitioner)
        .mapPartitionsWithIndex(new ShardTask(plan.output().toString(), partitioner, config.seqLen() + 1,
            tokenizer.padId(), tokenizer.vocabSize(), conf), false)
        .collect();
    LOG.info("prepare: wrote {} shard(s), {} bytes", stats.size(), stats.stream().mapToLong(s -> s.bytes).sum());

    Manifest manifest = ManifestAssembler.build(plan, tokenizer, numbering, stats);
    OutputDir.removeTemporaries(plan.output(), hadoop);
    manifest.write(plan.output().toString(), hadoop);
    LOG.info("prepare: wrote {}/{}", plan.output(), Manifest.FILE_NAME);
    bases.destroy();
    conf.destroy();
    return new PrepareResult(manifest, plan.output().toString(), (System.nanoTime() - start) / 1_000_000);
  }
}
