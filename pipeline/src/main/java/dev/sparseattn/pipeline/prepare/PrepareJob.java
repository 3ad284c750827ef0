package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.read.DocLine;
import static dev.sparseattn.pipeline.prepare.BadRecordException.surfacing;

import dev.sparseattn.datasets.config.DataError;
import dev.sparseattn.datasets.manifest.Manifest;
import dev.sparseattn.datasets.manifest.Split;
import dev.sparseattn.datasets.tokenize.BpeTokenizer;
import dev.sparseattn.datasets.tokenize.ByteTokenizer;
import dev.sparseattn.datasets.tokenize.Tokenizer;
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
import org.apache.spark.storage.StorageLevel;
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
 * Bad input records never stop the job: the readers and {@link DocCheck} turn them into quarantined
 * units, which pass 2 writes to the quarantine table ({@link SideTables}) and counts; the manifest's
 * record accounting adds up. In strict mode the first bad record fails the job with a DataError.
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
    // A trained tokenizer (BPE) refuses nothing, like the byte tokenizer that stands in for it while reading.
    Tokenizer admission = config.tokenizer().trained() ? new ByteTokenizer() : config.createTokenizer();

    OutputDir.create(plan.output(), config.resolved().render(), hadoop);
    LOG.info("prepare: {} input file(s) -> {} (format={}, document={}, seq-len={}, tokenizer={})",
        plan.files().size(), plan.output(), kebab(config.format()), ManifestAssembler.documentKind(config),
        config.seqLen(), kebab(config.tokenizer()));

    ReadUnits read = surfacing(() -> Sources.read(jsc, plan, Sources.check(config, admission)));
    JavaPairRDD<ChunkId, DocLine> documents = read.units();
    Tokenizer tokenizer = admission;
    if (config.tokenizer().trained()) {
      documents.persist(StorageLevel.MEMORY_AND_DISK_SER()); // read once, for training and for packing
      BpeTokenizer bpe = surfacing(() -> BpeTraining.train(documents, config.tokenizerOptions().bpe()));
      BpeTraining.save(bpe, plan.output(), hadoop);
      tokenizer = bpe;
    }
    Packer packer = new Packer(tokenizer, config.seqLen(), new SplitHash(config.seed(), config.validationFraction(),
        config.testFraction()), config.format() == dev.sparseattn.pipeline.InputFormat.TEXT
            && config.document() == dev.sparseattn.pipeline.DocumentMode.CHUNK);
    var fasta = config.formats().fasta();
    if (config.format() == dev.sparseattn.pipeline.InputFormat.FASTA && fasta.stride() < fasta.window()
        && config.validationFraction() + config.testFraction() > 0) {
      LOG.warn("prepare: fasta.stride {} < fasta.window {}: neighbouring windows share {} bases, and a window in"
          + " validation shares them with its neighbours in train; use stride = window for a held-out split",
          fasta.stride(), fasta.window(), fasta.window() - fasta.stride());
    }
    int partitions = Math.max(jsc.defaultParallelism(), documents.getNumPartitions());
    JavaPairRDD<ChunkId, Iterable<DocLine>> chunks = documents.groupByKey(partitions);

    Broadcast<SerializableConfiguration> conf = jsc.broadcast(new SerializableConfiguration(hadoop));
    long[] splitBases = surfacing(() -> read.recordBases(chunks)); // reads the inputs when they were split
    SideTables sideTables = new SideTables(plan.output().toString(), plan.files().stream().map(Object::toString).toList(),
        splitBases);
    UsedIds usedIds = new UsedIds();
    jsc.sc().register(usedIds, "token ids used");
    List<ChunkSummary> summaries =
        surfacing(() -> chunks.map(new SummarizeChunk(packer, sideTables, conf, usedIds)).collect());
    SequenceNumbering numbering =
        new SequenceNumbering(summaries, ShardSizing.rowsPerShard(config, summaries, usedIds.value()));
    long docs = numbering.sum(ChunkSummary::documents);
    if (docs == 0) {
      throw new DataError(noDocuments(numbering, plan.output().toString(), config.input()));
    }
    LOG.info("prepare: {} documents, {} bytes in {} chunk(s) -> {} train + {} validation + {} test sequences;"
        + " writing {} + {} + {} shard(s) of {} rows", docs, numbering.sum(ChunkSummary::contentBytes),
        numbering.packedChunks(), numbering.sequences(Split.TRAIN), numbering.sequences(Split.VALIDATION),
        numbering.sequences(Split.TEST), numbering.shards(Split.TRAIN), numbering.shards(Split.VALIDATION),
        numbering.shards(Split.TEST), numbering.rowsPerShard());
    if (numbering.sum(ChunkSummary::droppedBases) > 0) {
      LOG.info("prepare: {} ambiguous base(s) dropped where documents were split (nucleotide.ambiguous = split)",
          numbering.sum(ChunkSummary::droppedBases));
    }
    if (numbering.sequences(Split.TRAIN) == 0) {
      LOG.warn("prepare: no training sequences (input too small for validation-fraction {})",
          config.validationFraction());
    }

    Broadcast<Map<ChunkId, long[]>> bases = jsc.broadcast(numbering.bases());
    ShardPartitioner partitioner = numbering.partitioner();
    List<ShardStats> stats = chunks
        .flatMapToPair(new EmitSequences(packer, bases, TokenBytes.width(tokenizer.vocabSize())))
        .repartitionAndSortWithinPartitions(partitioner)
        .mapPartitionsWithIndex(new ShardTask(plan.output().toString(), partitioner, config.seqLen() + 1,
            tokenizer.padId(), tokenizer.vocabSize(), config.segmentIds() ? tokenizer.eosId() : -1, conf), false)
        .collect();
    LOG.info("prepare: wrote {} shard(s), {} bytes", stats.size(), stats.stream().mapToLong(s -> s.bytes).sum());

    Manifest manifest = ManifestAssembler.build(plan, tokenizer, numbering, stats);
    OutputDir.removeTemporaries(plan.output(), hadoop);
    manifest.write(plan.output().toString(), hadoop);
    LOG.info("prepare: wrote {}/{}", plan.output(), Manifest.FILE_NAME);
    bases.destroy();
    conf.destroy();
    documents.unpersist(false);
    return new PrepareResult(manifest, plan.output().toString(), (System.nanoTime() - start) / 1_000_000,
        numbering.sum(ChunkSummary::droppedBases));
  }

  /** The message when nothing is left to pack: the accounting, and an example of each reason. */
  static String noDocuments(SequenceNumbering numbering, String output, List<String> inputs) {
    Tally tally = new Tally();
    numbering.chunks().forEach(s -> tally.add(s.tally()));
    return "the inputs hold no documents: " + tally.read() + " record(s) read, " + tally.quarantined()
        + " quarantined " + tally.byReason() + (tally.quarantined() > 0 ? " (see " + output + "/quarantine/; "
        + String.join("; ", tally.examples().values()) + ")" : "") + "; inputs " + inputs;
  }

  private static String kebab(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
