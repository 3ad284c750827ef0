package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.tokenize.TimeSeriesTokenizer;
import dev.sparseattn.datasets.tokenize.Tokenizer;
import dev.sparseattn.pipeline.DocumentMode;
import dev.sparseattn.pipeline.FormatOptions;
import dev.sparseattn.pipeline.InputFormat;
import dev.sparseattn.pipeline.PrepareConfig;
import dev.sparseattn.datasets.read.CsvSeriesReader;
import dev.sparseattn.datasets.read.FastaReader;
import dev.sparseattn.datasets.read.FastqReader;
import dev.sparseattn.datasets.read.JsonLinesReader;
import dev.sparseattn.datasets.read.ParagraphReader;
import dev.sparseattn.datasets.read.RecordFormat;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Where a preparation's units come from, per format: text lines through Hadoop's splittable line
 * reader ({@link LineSource}; block-compressed files in decompressed splits, {@link BlockLineSource}), whole files ({@link FileSource}), and every other format streamed
 * through its {@link RecordFormat}, by file or by split ({@link SplitSource}). All of them admit each unit with
 * one {@link DocCheck}.
 */
final class Sources {
  private Sources() {}

  /** The admission check of a configuration: text checks for text formats, the tokenizer's refusals. */
  static DocCheck check(PrepareConfig config, Tokenizer admission) {
    boolean text = config.format() == InputFormat.TEXT || config.format() == InputFormat.JSONL
        || config.format() == InputFormat.PARQUET;
    return new DocCheck(text ? new TextCheck(config.records().invalidUtf8(), config.records().controlChars()) : null, admission,
        config.records().strict());
  }

  /** The units of all input files, keyed by chunk, admitted by {@code check}. */
  static ReadUnits read(JavaSparkContext jsc, PreparePlan plan, DocCheck check) {
    PrepareConfig config = plan.config();
    ZstdCodec.register(jsc.hadoopConfiguration()); // .zst inputs, chosen by extension like .gz and .bz2
    if (config.format() == InputFormat.TEXT
        && (config.document() == DocumentMode.LINE || config.document() == DocumentMode.CHUNK)) {
      return ReadUnits.whole(BlockLineSource.read(jsc, plan.files(), config.chunkBytes(), config.formats().splitSize(),
          check).union(LineSource.emptyFiles(jsc, plan.files(), check)));
    }
    if (config.format() == InputFormat.TEXT && config.document() == DocumentMode.FILE) {
      return ReadUnits.whole(FileSource.read(jsc, plan.files(), check));
    }
    if (config.format() == InputFormat.PARQUET) {
      return ReadUnits.whole(ParquetSource.read(jsc, plan.files(), config.chunkBytes(), config.formats().parquet(), check));
    }
    return SplitSource.read(jsc, plan.files(), config.chunkBytes(), config.formats().splitSize(), recordFormat(config),
        check);
  }

  /** The streaming reader of a record format (text: {@code document = paragraph}). */
  static RecordFormat recordFormat(PrepareConfig config) {
    FormatOptions f = config.formats();
    boolean rc = config.tokenizerOptions().reverseComplement();
    return switch (config.format()) {
      case FASTA -> new FastaReader(f.fasta().window(), f.fasta().stride(), rc);
      case FASTQ -> new FastqReader(f.fastq().headers(), f.fastq().qualities(), rc);
      case CSV -> new CsvSeriesReader(f.csv(), new TimeSeriesTokenizer(config.tokenizerOptions().timeSeries()));
      case JSONL -> new JsonLinesReader(f.jsonTextField());
      case TEXT -> new ParagraphReader(f.paragraphMaxBytes());
      case PARQUET -> throw new IllegalArgumentException("Parquet is read by row group (ParquetSource), not streamed");
    };
  }
}
